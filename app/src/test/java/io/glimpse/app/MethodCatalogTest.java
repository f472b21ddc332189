package io.glimpse.app;

import io.glimpse.common.methods.MethodDescriptor;
import io.glimpse.common.methods.MethodNeed;
import io.glimpse.common.methods.PruningMethods;
import io.glimpse.proto.v1.Pruning;
import io.glimpse.pruner.select.PruningMethod;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** One home per method: every method has a descriptor, and what the gateway, pruner, CLI and docs use derives from it. */
class MethodCatalogTest {
    @Test
    void everyMethodHasADescriptor() {
        for (Pruning.Method m : Pruning.Method.values()) {
            if (m == Pruning.Method.METHOD_UNSPECIFIED || m == Pruning.Method.UNRECOGNIZED) {
                continue;
            }
            MethodDescriptor d = PruningMethods.of(m);
            assertEquals(m, d.method());
            assertFalse(d.summary().isBlank(), m + " is documented");
            d.params().forEach(p -> assertFalse(p.doc().isBlank(), m + "." + p.name() + " is documented"));
        }
        Set<String> pruner = Arrays.stream(PruningMethod.values()).map(Enum::name).collect(Collectors.toSet());
        Set<String> catalog = PruningMethods.all().stream().map(d -> d.method().name()).collect(Collectors.toSet());
        assertEquals(catalog, pruner, "the pruner's enum names exactly the catalog's methods");
        Set<String> proto = Arrays.stream(Pruning.Method.values()).filter(m -> m != Pruning.Method.METHOD_UNSPECIFIED
                && m != Pruning.Method.UNRECOGNIZED).map(Enum::name).collect(Collectors.toSet());
        assertEquals(catalog, proto, "and so does the proto enum");
        new io.glimpse.pruner.select.TokenPrunerEngine();   // refuses to start without a selector for a catalog method
    }

    /** The gateway forwards the ViT graph exactly to the pipelines whose steps read it. */
    @Test
    void theGatewaysForwardingFollowsTheCatalog() {
        for (MethodDescriptor d : PruningMethods.all()) {
            boolean graph = d.readsVisionGraph();
            assertEquals(graph, PruningMethods.readsVisionGraph(Pruning.newBuilder().setMethod(d.method()).build()), d.method().name());
            assertEquals(graph, Set.of("ZERO_TPRUNE", "TOME", "VISIONZIP").contains(d.method().name()), d.method().name());
        }
        assertTrue(PruningMethods.readsVisionGraph(Pruning.newBuilder().setMethod(Pruning.Method.QUOTA)
                .putParams("within", "zero_tprune").build()), "QuoTA with Zero-TPrune inside its units");
        assertTrue(PruningMethods.readsVisionGraph(Pruning.newBuilder().setMethod(Pruning.Method.RANDOM)
                .addThen(Pruning.newBuilder().setMethod(Pruning.Method.TOME)).build()), "a later step");
        assertTrue(PruningMethods.of(Pruning.Method.FASTV).needs().contains(MethodNeed.LM_PROBE));
    }

    @Test
    void docsTableIsTheCatalogs() throws Exception {
        String doc = Files.readString(StackFixture.HOME.resolve("docs/pruning.md"));
        assertTrue(doc.contains(PruningMethods.markdownTable()), "docs/pruning.md carries `glimpse methods --markdown`");
    }

    @Test
    void cliHelpListsOnlyRealMethods() {
        var out = new java.io.StringWriter();
        new picocli.CommandLine(new GlimpseCli()).getSubcommands().get("ask").usage(new java.io.PrintWriter(out));
        String help = out.toString();
        assertTrue(help.contains("ZERO_TPRUNE") && help.contains("CORE_MATCHING"), help);
        assertFalse(help.contains("METHOD_UNSPECIFIED") || help.contains("UNRECOGNIZED"), help);
    }

    /** An unknown parameter is refused naming the ones the catalog accepts. */
    @Test
    void pruneParametersComeFromTheCatalog() {
        Map<String, String> bad = Map.of("iterationz", "3");
        var e = org.junit.jupiter.api.Assertions.assertThrows(io.glimpse.common.error.GlimpseException.class, () ->
                new io.glimpse.pruner.select.PruningSpec(PruningMethod.ZERO_TPRUNE, 4, 0f, false, 0, bad)
                        .checkParams(PruningMethods.of(Pruning.Method.ZERO_TPRUNE).paramNames()));
        assertTrue(e.getMessage().contains("iterations") && e.getMessage().contains("graph_top_m"), e.getMessage());
    }
}
