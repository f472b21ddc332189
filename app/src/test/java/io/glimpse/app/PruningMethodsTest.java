package io.glimpse.app;

import com.google.protobuf.ByteString;
import io.glimpse.model.bundle.ModelBundle;
import io.glimpse.model.onnx.OrtSessionFactory;
import io.glimpse.proto.v1.AskRequest;
import io.glimpse.proto.v1.AskResponse;
import io.glimpse.proto.v1.Image;
import io.glimpse.proto.v1.Pruning;
import io.glimpse.proto.v1.TokenPolicy;
import io.glimpse.shapes.Scene;
import io.glimpse.shapes.SceneObject;
import io.glimpse.shapes.ScenePng;
import io.glimpse.shapes.SceneRenderer;
import io.glimpse.shapes.Shape;
import io.glimpse.shapes.ShapeColor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every pruning method through the real chain on the bundled model. */
class PruningMethodsTest {
    static EmbeddedStack stack;

    @BeforeAll
    static void start() {
        stack = StackFixture.start(EmbeddedStack.Transport.IN_PROCESS);
    }

    @AfterAll
    static void stop() {
        stack.close();
    }

    static AskRequest ask(ExampleSet.Example e, Pruning.Builder p) {
        return StackFixture.ask(e).setPolicy(TokenPolicy.newBuilder().setPruning(p)).build();
    }

    @ParameterizedTest
    @EnumSource(value = Pruning.Method.class, names = {"RANDOM", "UNIFORM", "ZERO_TPRUNE", "TOME", "VISIONZIP",
            "DIVPRUNE", "FASTV", "CORE_MATCHING", "QUOTA"})
    void keepsTheBudgetIsDeterministicAndStillAnswers(Pruning.Method method) {
        int right = 0;
        List<ExampleSet.Example> examples = StackFixture.examples().examples();
        for (ExampleSet.Example e : examples) {
            Pruning.Builder p = Pruning.newBuilder().setMethod(method).setKeepTokens(36).setSeed(3);
            AskResponse a = stack.blocking().ask(ask(e, p));
            AskResponse b = stack.blocking().ask(ask(e, p));
            assertEquals(a.getAnswer(), b.getAnswer(), "deterministic");
            assertEquals(a.getSelections(0).getKeptOriginList(), b.getSelections(0).getKeptOriginList(), "deterministic");
            int used = a.getUsage().getVisualTokensUsed();
            if (method == Pruning.Method.QUOTA) {
                assertTrue(used <= 36 && used >= 20, "QuoTA resizes each region to h x w <= its share: " + used);
            } else {
                assertEquals(36, used);
            }
            List<Integer> origins = a.getSelections(0).getKeptOriginList();
            assertEquals(origins.size(), origins.stream().distinct().count(), "positions are unique");
            assertTrue(origins.stream().allMatch(o -> o >= 0 && o < 144));
            for (int i = 1; i < origins.size(); i++) {
                assertTrue(origins.get(i - 1) < origins.get(i), "tokens stay in position order");
            }
            if (method != Pruning.Method.RANDOM && method != Pruning.Method.UNIFORM) {
                assertTrue(a.getUsage().getPruningFlops() > 0, method + " reports what it spent");
            }
            right += a.getAnswer().equals(e.answer()) ? 1 : 0;
        }
        assertTrue(right >= examples.size() / 2, method + " at 36 of 144 tokens: " + right + " of " + examples.size());
    }

    @Test
    void coreMatchingWithoutABudgetKeepsTheElbowsCount() {
        ExampleSet.Example e = StackFixture.examples().examples().get(0);
        AskResponse r = stack.blocking().ask(ask(e, Pruning.newBuilder().setMethod(Pruning.Method.CORE_MATCHING)));
        int used = r.getUsage().getVisualTokensUsed();
        assertTrue(used > 0 && used < 144, "adaptive count " + used);
    }

    static AskRequest scene(String question) {
        List<SceneObject> objects = List.of(
                new SceneObject(Shape.CIRCLE, ShapeColor.RED, true, 8, 8, 22),
                new SceneObject(Shape.SQUARE, ShapeColor.BLUE, true, 64, 64, 22));
        Scene s = SceneRenderer.render(96, new int[]{240, 240, 240}, false, objects, new SplittableRandom(1));
        return AskRequest.newBuilder().setQuestion(question)
                .addImages(Image.newBuilder().setName("two.png").setData(ByteString.copyFrom(ScenePng.encode(s))))
                .build();
    }

    static int[] tokensPerQuadrant(AskResponse r) {
        int[] q = new int[4];
        for (int o : r.getSelections(0).getKeptOriginList()) {
            q[(o / 12 >= 6 ? 2 : 0) + (o % 12 >= 6 ? 1 : 0)]++;
        }
        return q;
    }

    @ParameterizedTest
    @EnumSource(value = EmbeddedStack.Transport.class)
    void quotaGivesTheRegionTheQuestionIsAboutTheLargestShare(EmbeddedStack.Transport transport) {
        try (EmbeddedStack s = StackFixture.start(transport)) {
            for (String scorer : List.of("vlm")) {   // the probe-attention scorer does not localise on this model: docs/pruning.md
                Pruning.Builder p = Pruning.newBuilder().setMethod(Pruning.Method.QUOTA).setKeepTokens(24)
                        .putParams("scorer", scorer);
                int[] red = tokensPerQuadrant(s.blocking().ask(scene("is there a red circle ?").toBuilder()
                        .setPolicy(TokenPolicy.newBuilder().setPruning(p)).build()));
                int[] blue = tokensPerQuadrant(s.blocking().ask(scene("what size is the blue square ?").toBuilder()
                        .setPolicy(TokenPolicy.newBuilder().setPruning(p)).build()));
                assertTrue(red[0] > Math.max(red[1], Math.max(red[2], red[3])), scorer + ": red circle top left " + java.util.Arrays.toString(red));
                assertTrue(blue[3] > Math.max(blue[0], Math.max(blue[1], blue[2])), scorer + ": blue square bottom right " + java.util.Arrays.toString(blue));
            }
        }
    }

    @Test
    void aPipelineAppliesItsStepsInOrder() {
        ExampleSet.Example e = StackFixture.examples().examples().get(1);
        Pruning.Builder p = Pruning.newBuilder().setMethod(Pruning.Method.QUOTA).setKeepTokens(64)
                .putParams("within", "zero_tprune")
                .addThen(Pruning.newBuilder().setMethod(Pruning.Method.DIVPRUNE).setKeepTokens(16));
        AskResponse r = stack.blocking().ask(ask(e, p));
        assertEquals(16, r.getUsage().getVisualTokensUsed());
        assertTrue(r.getUsage().getPruningFlops() > 0);
    }

    @Test
    void badParametersAreInvalidArgumentsAndTheServiceGoesOn() {
        ExampleSet.Example e = StackFixture.examples().examples().get(0);
        StatusRuntimeException unknown = assertThrows(StatusRuntimeException.class, () -> stack.blocking().ask(ask(e,
                Pruning.newBuilder().setMethod(Pruning.Method.ZERO_TPRUNE).setKeepTokens(8).putParams("iteratons", "5"))));
        assertEquals(Status.Code.INVALID_ARGUMENT, unknown.getStatus().getCode());
        assertTrue(unknown.getStatus().getDescription().contains("iterations"), unknown.getStatus().getDescription());
        StatusRuntimeException range = assertThrows(StatusRuntimeException.class, () -> stack.blocking().ask(ask(e,
                Pruning.newBuilder().setMethod(Pruning.Method.CORE_MATCHING).setKeepTokens(8).putParams("rho", "2"))));
        assertEquals(Status.Code.INVALID_ARGUMENT, range.getStatus().getCode());
        AskResponse ok = stack.blocking().ask(ask(e, Pruning.newBuilder().setMethod(Pruning.Method.ZERO_TPRUNE).setKeepTokens(8)));
        assertEquals(8, ok.getUsage().getVisualTokensUsed());
    }

    @Test
    void aMethodWhoseBundlePartIsMissingNamesTheFile(@TempDir Path dir) throws IOException {
        ModelBundle without = StackFixture.bundleWithout(dir, "lm_probe.onnx");
        try (EmbeddedStack s = EmbeddedStack.start(without, OrtSessionFactory.cpu(), EmbeddedStack.Transport.IN_PROCESS)) {
            ExampleSet.Example e = StackFixture.examples().examples().get(0);
            for (Pruning.Method m : List.of(Pruning.Method.FASTV, Pruning.Method.CORE_MATCHING)) {
                StatusRuntimeException ex = assertThrows(StatusRuntimeException.class,
                        () -> s.blocking().ask(ask(e, Pruning.newBuilder().setMethod(m).setKeepTokens(8))));
                assertEquals(Status.Code.FAILED_PRECONDITION, ex.getStatus().getCode());
                assertTrue(ex.getStatus().getDescription().contains("onnx/lm_probe.onnx"), ex.getStatus().getDescription());
            }
            assertEquals(8, s.blocking().ask(ask(e, Pruning.newBuilder().setMethod(Pruning.Method.DIVPRUNE)
                    .setKeepTokens(8))).getUsage().getVisualTokensUsed());
        }
    }
}
