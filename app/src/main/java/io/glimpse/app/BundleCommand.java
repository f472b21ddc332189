package io.glimpse.app;

import io.glimpse.model.bundle.BundleValidator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code glimpse bundle check DIR}. */
@Command(name = "bundle", mixinStandardHelpOptions = true, description = "Model bundle tools.",
        subcommands = {BundleCommand.Check.class, CalibrateCommand.class})
final class BundleCommand implements Runnable {
    @Override
    public void run() {
        new picocli.CommandLine(this).usage(System.out);
    }

    @Command(name = "check", mixinStandardHelpOptions = true,
            description = "Validate a bundle (Glimpse or Idefics3/SmolVLM layout): name every missing or mis-shaped file and"
                    + " tensor and every size that does not match. Exit 1 when any.")
    static final class Check implements Callable<Integer> {
        @Parameters(index = "0", arity = "0..1", description = "Bundle directory (default: the bundled model).")
        Path dir;

        @picocli.CommandLine.Option(names = "--model-dtype", defaultValue = "fp32",
                description = "Check this weight variant's ONNX files (fp32, q8, int8, uint8, q4, q4f16, bnb4, fp16).")
        String dtype;

        @Override
        public Integer call() {
            Path d = GlimpseHome.bundle(dir);
            BundleValidator.Report r = BundleValidator.check(d, dtype);
            r.notes().forEach(n -> System.out.println("note: " + n));
            r.problems().forEach(p -> System.out.println("problem: " + p));
            System.out.println(r.ok() ? "bundle " + d + " is valid" : "bundle " + d + " has " + r.problems().size() + " problem(s)");
            return r.ok() ? 0 : 1;
        }
    }
}
