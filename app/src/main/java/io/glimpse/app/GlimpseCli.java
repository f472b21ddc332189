package io.glimpse.app;

import io.glimpse.common.error.GlimpseException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code glimpse} command line. */
@Command(name = "glimpse", mixinStandardHelpOptions = true, version = "glimpse 0.1.0",
        description = "Fewer visual tokens where fewer suffice: VLM inference as gRPC microservices.",
        subcommands = {ServeCommand.class, AskCommand.class, DemoCommand.class, EvalCommand.class, BenchCommand.class,
                BundleCommand.class, ShapesCommand.class, KeyCommand.class, MethodsCommand.class})
public final class GlimpseCli implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    public static int run(String... args) {
        CommandLine cli = new CommandLine(new GlimpseCli());
        cli.setCaseInsensitiveEnumValuesAllowed(true);
        cli.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            Throwable cause = ex;
            while (cause.getCause() != null && !(cause instanceof GlimpseException)
                    && !(cause instanceof io.grpc.StatusRuntimeException)) {
                cause = cause.getCause();
            }
            if (cause instanceof GlimpseException g) {
                cmd.getErr().println("glimpse: " + g.getMessage());
            } else if (cause instanceof io.grpc.StatusRuntimeException s) {
                Throwable why = s.getStatus().getCause();   // "io exception" alone says little: say what failed
                cmd.getErr().println("glimpse: " + s.getStatus().getCode() + ": " + s.getStatus().getDescription()
                        + (why != null && why.getMessage() != null ? " (" + why.getMessage() + ")" : ""));
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
