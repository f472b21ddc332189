package io.glimpse.app;

import io.glimpse.common.error.GlimpseException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code glimpse} command line. */
@Command(name = "glimpse", mixinStandardHelpOptions = true, version = "glimpse 0.1.0",
        description = "Fewer visual tokens where fewer suffice: VLM inference as gRPC microservices.",
        subcommands = {ServeCommand.class, AskCommand.class, DemoCommand.class, EvalCommand.class, BenchCommand.class,
                BundleCommand.class, ShapesCommand.class, KeyCommand.class, MethodsCommand.class, DescribeCommand.class})
public final class GlimpseCli implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    @CommandLine.Option(names = {"-v", "--verbose"}, scope = CommandLine.ScopeType.INHERIT,
            description = "Log at INFO (one-shot commands log warnings only; 'serve' always logs at INFO).")
    boolean verbose;

    public static int run(String... args) {
        GlimpseCli root = new GlimpseCli();
        CommandLine cli = new CommandLine(root);
        cli.setCaseInsensitiveEnumValuesAllowed(true);
        cli.setExecutionStrategy(parsed -> {
            boolean serve = parsed.subcommand() != null && parsed.subcommand().commandSpec().name().equals("serve");
            if (!serve && !root.verbose && System.getenv("GLIMPSE_LOG_LEVEL") == null) {
                // a one-shot command's output is its answer, not the services' start-up lines
                ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger("io.glimpse"))
                        .setLevel(ch.qos.logback.classic.Level.WARN);
            }
            return new CommandLine.RunLast().execute(parsed);
        });
        cli.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            Throwable cause = ex;
            while (cause.getCause() != null && !(cause instanceof GlimpseException)
                    && !(cause instanceof io.grpc.StatusRuntimeException) && !(cause instanceof java.io.IOException)) {
                cause = cause.getCause();
            }
            if ((ex instanceof IllegalStateException || ex instanceof IllegalArgumentException) && ex.getMessage() != null
                    && ex.getMessage().startsWith("cannot start")) {
                cmd.getErr().println("glimpse: " + ex.getMessage());   // a port in use: the message names it and why
            } else if (cause instanceof java.nio.file.NoSuchFileException f) {
                cmd.getErr().println("glimpse: no such file: " + f.getFile());
            } else if (cause instanceof java.net.BindException || (cause instanceof java.io.IOException
                    && ex instanceof java.io.UncheckedIOException)) {
                cmd.getErr().println("glimpse: " + ex.getMessage());
            } else if (cause instanceof java.io.IOException io) {
                cmd.getErr().println("glimpse: " + io);
            } else if (cause instanceof GlimpseException g) {
                cmd.getErr().println("glimpse: " + g.getMessage());
            } else if (cause instanceof io.grpc.StatusRuntimeException s && TlsTrouble.explain(s) != null) {
                cmd.getErr().println("glimpse: " + s.getStatus().getCode() + ": " + TlsTrouble.explain(s));
            } else if (cause instanceof io.grpc.StatusRuntimeException s) {
                Throwable why = s.getStatus().getCause();   // "io exception" alone says little: say what failed
                cmd.getErr().println("glimpse: " + s.getStatus().getCode() + ": " + s.getStatus().getDescription()
                        + (why != null && why.getMessage() != null ? " (" + why.getMessage() + ")" : ""));
            } else if (ex instanceof IllegalArgumentException || ex instanceof IllegalStateException) {
                cmd.getErr().println("glimpse: " + ex.getMessage());   // bad configuration: a key file, a certificate
            } else {
                cmd.getErr().println("glimpse: " + ex);
                ex.printStackTrace(cmd.getErr());
            }
            return 1;
        });
        return cli.execute(args);
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }
}
