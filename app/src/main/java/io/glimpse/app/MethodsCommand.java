package io.glimpse.app;

import io.glimpse.common.methods.MethodDescriptor;
import io.glimpse.common.methods.MethodParam;
import io.glimpse.common.methods.PruningMethods;
import io.glimpse.tokenizer.encode.EncoderReduction;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code glimpse methods}: the pruning methods, what each reads and its parameters, from the one catalog. */
@Command(name = "methods", mixinStandardHelpOptions = true,
        description = "List the pruning methods, what each needs and its parameters (defaults and ranges).")
final class MethodsCommand implements Callable<Integer> {
    @Option(names = "--markdown", description = "Print the table docs/pruning.md carries.")
    boolean markdown;

    @Override
    public Integer call() {
        if (markdown) {
            System.out.print(PruningMethods.markdownTable());
            return 0;
        }
        for (MethodDescriptor d : PruningMethods.all()) {
            String needs = d.needs().isEmpty() && d.optional().isEmpty() ? ""
                    : "  [reads: " + String.join(", ", d.needs().stream().map(n -> n.name().toLowerCase(Locale.ROOT)).sorted().toList())
                    + (d.optional().isEmpty() ? "" : (d.needs().isEmpty() ? "" : ", ") + "optionally "
                    + String.join(", ", d.optional().stream().map(n -> n.name().toLowerCase(Locale.ROOT)).sorted().toList())) + "]";
            System.out.printf("%-14s %s%s%n", d.method(), d.summary(), needs);
            for (MethodParam p : d.params()) {
                System.out.printf("    %-18s %s — %s%n", p.name(), p.describe(), p.doc());
            }
        }
        System.out.println();
        System.out.println("Inside the vision encoder (Tokenization.encoder_reduction, --encoder-reduction METHOD:k1,k2,...|r=N;"
                + " bundles with a staged encoder):");
        for (EncoderReduction.Method m : EncoderReduction.Method.values()) {
            if (m != EncoderReduction.Method.NONE) {
                System.out.printf("%-14s %s%n", m, m.summary());
            }
        }
        return 0;
    }
}
