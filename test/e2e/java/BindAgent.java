// A Java agent for the e2e tests: every bind to the wildcard address (0.0.0.0 or ::) in this JVM binds
// to the address given as the agent's argument instead, so a server that has no bind-address setting
// (the RocketMQ 5.3.3 Proxy: its gRPC and remoting ports always listen on every interface) stays on
// the test machine's loopback address. Usage: java -javaagent:bind-agent.jar=127.0.0.238 ...
//
// It rewrites sun.nio.ch.Net.bind(ProtocolFamily, FileDescriptor, InetAddress, int), through which the
// binds of NIO channels go (Netty's, so the Proxy's; java.net.ServerSocket's do not), with the JDK's
// own copy of ASM (JDK 11 and later): at its entry, a wildcard address is replaced by
// InetAddress.getByName(System.getProperty("runbook.bind")).
import java.lang.instrument.ClassFileTransformer;
import java.lang.instrument.Instrumentation;
import java.security.ProtectionDomain;
import java.util.Map;
import java.util.Set;

public class BindAgent {
  public static void premain(String address, Instrumentation inst) throws Exception {
    if (address == null || address.isEmpty()) throw new IllegalArgumentException("BindAgent needs an address: -javaagent:bind-agent.jar=ADDRESS");
    System.setProperty("runbook.bind", address);
    Module base = Object.class.getModule();
    Set<Module> me = Set.of(BindAgent.class.getModule());
    inst.redefineModule(base, Set.of(), Map.of("jdk.internal.org.objectweb.asm", me), Map.of(), Set.of(), Map.of());
    ClassFileTransformer t = new ClassFileTransformer() {
      @Override
      public byte[] transform(Module module, ClassLoader loader, String name, Class<?> c, ProtectionDomain pd, byte[] bytes) {
        if (!"sun/nio/ch/Net".equals(name)) return null;
        try {
          return BindRewrite.rewrite(bytes);
        } catch (Throwable e) {
          System.err.println("BindAgent: could not rewrite sun.nio.ch.Net: " + e);
          return null;
        }
      }
    };
    inst.addTransformer(t, true);
    for (Class<?> c : inst.getAllLoadedClasses()) {
      if (c.getName().equals("sun.nio.ch.Net")) inst.retransformClasses(c);
    }
  }
}
