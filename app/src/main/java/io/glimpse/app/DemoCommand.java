package io.glimpse.app;

import io.glimpse.proto.v1.AskRequest;
import io.glimpse.proto.v1.AskResponse;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code glimpse demo}: the bundled examples (images, then clips) through the whole chain in this JVM, as a table. */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Answer the bundled example questions (single images, then short clips whose frames are one"
                + " request's images) with the embedded chain and print a table.")
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
        java.util.List<ExampleSet.Example> all = new java.util.ArrayList<>(ExampleSet.read(file).examples());
        Path clips = GlimpseHome.examples().resolve("clips/clips.jsonl");
        if (examples == null && java.nio.file.Files.exists(clips)) {
            all.addAll(ExampleSet.read(clips).examples());
        }
        ExampleSet set = new ExampleSet(all);
        System.out.println("Glimpse demo: " + set.examples().size() + " examples from " + file
                + (examples == null && java.nio.file.Files.exists(clips) ? " and " + clips : "") + ", bundle "
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
                String name = e.images().size() == 1 ? e.image().getFileName().toString()
                        : "clip of " + e.images().size() + " frames";
                System.out.printf(fmt, ++i, name, e.question(), r.getAnswer(), e.answer(),
                        ok ? "yes" : "NO", r.getUsage().getVisualTokensTokenized() + "->" + r.getUsage().getVisualTokensUsed(),
                        String.format("%.1f", r.getTimings().getTotalMicros() / 1000.0));
            }
        }
        System.out.printf("%d of %d answered as expected%n", right, set.examples().size());
        return 0;
    }
}
