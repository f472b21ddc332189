package io.glimpse.app;

import io.glimpse.proto.v1.AskRequest;
import io.glimpse.proto.v1.AskResponse;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code glimpse demo}: the bundled examples through the whole chain in this JVM, as a table. */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Answer the bundled example questions with the embedded chain and print a table.")
final class DemoCommand implements Callable<Integer> {
    @Option(names = "--examples", description = "JSONL of examples (default: examples/examples.jsonl).")
    Path examples;

    @Mixin
    ModelOptions model;

    @Mixin
    PolicyOptions policy;

    @Override
    public Integer call() throws Exception {
        Path file = examples != null ? examples : GlimpseHome.examples().resolve("examples.jsonl");
        ExampleSet set = ExampleSet.read(file);
        System.out.println("Glimpse demo: " + set.examples().size() + " examples from " + file + ", bundle "
                + GlimpseHome.bundle(model.bundle) + ", policy " + policy.describe());
        String fmt = "%-3s %-16s %-58s %-13s %-13s %-3s %9s %9s%n";
        System.out.printf(fmt, "#", "image", "question", "answer", "expected", "ok", "tokens", "ms");
        int right = 0;
        try (GlimpseConnection c = GlimpseConnection.open(null, model, EmbeddedStack.Transport.IN_PROCESS)) {
            int i = 0;
            for (ExampleSet.Example e : set.examples()) {
                AskRequest req = e.askBuilder().setPolicy(policy.policy()).setGeneration(policy.generation()).build();
                AskResponse r = c.blocking().ask(req);
                boolean ok = r.getAnswer().equals(e.answer());
                right += ok ? 1 : 0;
                System.out.printf(fmt, ++i, e.image().getFileName(), e.question(), r.getAnswer(), e.answer(),
                        ok ? "yes" : "NO", r.getUsage().getVisualTokensTokenized() + "->" + r.getUsage().getVisualTokensUsed(),
                        String.format("%.1f", r.getTimings().getTotalMicros() / 1000.0));
            }
        }
        System.out.printf("%d of %d answered as expected%n", right, set.examples().size());
        return 0;
    }
}
