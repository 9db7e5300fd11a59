// A producer for the rolling-restart end-to-end test: sends one message after another to a topic, as a
// client of the cluster does, and prints one line per send: "<start ms> <end ms> OK <brokerName>" or
// "<start ms> <end ms> FAIL <reason>". It refreshes its routes every second (a client's default is
// 30 s) and never retries a failed send on another broker, so that every send the cluster fails shows.
// Usage: java -cp "DIR:$ROCKETMQ_HOME/lib/*" SendLoop NAMESRV TOPIC PAUSE_MS
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.client.producer.SendStatus;
import org.apache.rocketmq.common.message.Message;

public class SendLoop {
  public static void main(String[] args) throws Exception {
    DefaultMQProducer producer = new DefaultMQProducer("runbook_e2e_rolling_restart");
    producer.setNamesrvAddr(args[0]);
    producer.setPollNameServerInterval(1000);
    producer.setRetryTimesWhenSendFailed(0);
    producer.setSendMsgTimeout(3000);
    producer.setInstanceName("send-loop-" + ProcessHandle.current().pid());
    producer.start();
    System.out.println("started");
    System.out.flush();
    long pause = Long.parseLong(args[2]);
    for (long i = 0; ; i++) {
      long start = System.currentTimeMillis();
      String result;
      try {
        SendResult r = producer.send(new Message(args[1], ("rolling-restart-" + i).getBytes("UTF-8")));
        result = r.getSendStatus() == SendStatus.SEND_OK
            ? "OK " + r.getMessageQueue().getBrokerName()
            : "FAIL " + r.getSendStatus();
      } catch (Exception e) {
        String message = String.valueOf(e.getMessage()).split("\n")[0];
        result = "FAIL " + e.getClass().getSimpleName() + ": " + message;
      }
      System.out.println(start + " " + System.currentTimeMillis() + " " + result);
      System.out.flush();
      Thread.sleep(pause);
    }
  }
}
