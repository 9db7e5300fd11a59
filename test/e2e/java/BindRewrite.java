// The bytecode half of BindAgent (a class of its own: it is loaded only once the agent has been
// given access to the JDK's internal ASM).
import jdk.internal.org.objectweb.asm.ClassReader;
import jdk.internal.org.objectweb.asm.ClassVisitor;
import jdk.internal.org.objectweb.asm.ClassWriter;
import jdk.internal.org.objectweb.asm.Label;
import jdk.internal.org.objectweb.asm.MethodVisitor;
import jdk.internal.org.objectweb.asm.Opcodes;

final class BindRewrite {
  /** Net.bind(ProtocolFamily, FileDescriptor, InetAddress, int): the address is local variable 2. */
  static final String NIO = "(Ljava/net/ProtocolFamily;Ljava/io/FileDescriptor;Ljava/net/InetAddress;I)V";

  static byte[] rewrite(byte[] bytes) {
    ClassReader reader = new ClassReader(bytes);
    // Frames are computed again; a class of java.base is not verified, and no class is loaded here.
    ClassWriter writer = new ClassWriter(reader, ClassWriter.COMPUTE_FRAMES) {
      @Override
      protected String getCommonSuperClass(String a, String b) {
        return "java/lang/Object";
      }
    };
    int[] done = {0};
    reader.accept(new ClassVisitor(Opcodes.ASM7, writer) {
      @Override
      public MethodVisitor visitMethod(int access, String name, String desc, String sig, String[] exc) {
        MethodVisitor mv = super.visitMethod(access, name, desc, sig, exc);
        if (!name.equals("bind") || !desc.equals(NIO)) return mv;
        int slot = 2;
        done[0]++;
        return new MethodVisitor(Opcodes.ASM7, mv) {
          @Override
          public void visitCode() {
            super.visitCode();
            // if (addr.isAnyLocalAddress() && System.getProperty("runbook.bind") != null)
            //   addr = InetAddress.getByName(System.getProperty("runbook.bind"));
            Label skip = new Label();
            visitVarInsn(Opcodes.ALOAD, slot);
            visitMethodInsn(Opcodes.INVOKEVIRTUAL, "java/net/InetAddress", "isAnyLocalAddress", "()Z", false);
            visitJumpInsn(Opcodes.IFEQ, skip);
            visitLdcInsn("runbook.bind");
            visitMethodInsn(Opcodes.INVOKESTATIC, "java/lang/System", "getProperty", "(Ljava/lang/String;)Ljava/lang/String;", false);
            visitJumpInsn(Opcodes.IFNULL, skip);
            visitLdcInsn("runbook.bind");
            visitMethodInsn(Opcodes.INVOKESTATIC, "java/lang/System", "getProperty", "(Ljava/lang/String;)Ljava/lang/String;", false);
            visitMethodInsn(Opcodes.INVOKESTATIC, "java/net/InetAddress", "getByName", "(Ljava/lang/String;)Ljava/net/InetAddress;", false);
            visitVarInsn(Opcodes.ASTORE, slot);
            visitLabel(skip);
          }
        };
      }
    }, ClassReader.SKIP_FRAMES);
    if (done[0] == 0) throw new IllegalStateException("no method bind" + NIO + " in sun.nio.ch.Net");
    return writer.toByteArray();
  }
}
