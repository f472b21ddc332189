package io.glimpse.app;

import io.glimpse.proto.v1.AskRequest;
import io.glimpse.proto.v1.AskResponse;
import io.glimpse.proto.v1.ImageSelection;
import io.glimpse.proto.v1.Pruning;
import io.glimpse.proto.v1.TokenPolicy;
import io.glimpse.shapes.VideoFamily;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Clips of frames as one request's images, through the real chain on the bundled model. */
class ClipsTest {
    static EmbeddedStack stack;
    static List<EvalItem> clips;

    @BeforeAll
    static void start() {
        stack = StackFixture.start(EmbeddedStack.Transport.IN_PROCESS);
        clips = EvalCommand.generate(20261130L, 40, "8");
    }

    @AfterAll
    static void stop() {
        stack.close();
    }

    private static AskRequest ask(EvalItem it, Pruning.Builder p) {
        return it.ask().setPolicy(TokenPolicy.newBuilder().setPruning(p)).build();
    }

    /** Eight full frames of 144 tokens and the question fit the positions, and the model answers them. */
    @Test
    void eightFullFramesFitAndAreAnswered() {
        int right = 0;
        for (EvalItem it : clips) {
            AskResponse r = stack.blocking().ask(it.ask().build());
            assertEquals(8 * 144, r.getUsage().getVisualTokensUsed());
            right += r.getAnswer().equals(it.answer()) ? 1 : 0;
        }
        // the model answers 60% of held-out clips of 4-8 frames (MODEL_CARD.md; chance is 12-25% by family; v2,
        // 39%, fails this): a guard, not the goal
        assertTrue(right >= 18, "FULL answers " + right + " of 40 eight-frame clips");
    }

    /** A global budget is a total over the frames, and QuoTA gives the frames that matter to the question more of it. */
    @Test
    void quotaAssignsAGlobalBudgetAcrossFramesByRelevance() {
        int uneven = 0;
        StringBuilder seen = new StringBuilder();
        for (EvalItem it : clips.subList(0, 12)) {
            AskResponse r = stack.blocking().ask(ask(it, Pruning.newBuilder().setMethod(Pruning.Method.QUOTA)
                    .setKeepRatio(0.25f).setGlobalBudget(true)));
            assertTrue(r.getUsage().getVisualTokensUsed() <= 8 * 36, "at most a quarter: " + r.getUsage().getVisualTokensUsed());
            int min = Integer.MAX_VALUE;
            int max = 0;
            for (ImageSelection s : r.getSelectionsList()) {
                min = Math.min(min, s.getKeptOriginCount());
                max = Math.max(max, s.getKeptOriginCount());
            }
            assertTrue(min >= 1, "every frame keeps a token");
            uneven += max > 2 * min ? 1 : 0;
            seen.append(r.getSelectionsList().stream().map(x -> String.valueOf(x.getKeptOriginCount())).toList())
                    .append(' ').append(it.family()).append("; ");
        }
        assertTrue(uneven >= 6, "QuoTA spread the budget unevenly on " + uneven + " of 12 clips: " + seen);
    }

    /** Methods that read the LM probe or ViT attention work over several frames. */
    @Test
    void attentionAndProbeMethodsServeClips() {
        EvalItem it = clips.get(0);
        for (Pruning.Builder p : List.of(Pruning.newBuilder().setMethod(Pruning.Method.FASTV).setKeepTokens(36),
                Pruning.newBuilder().setMethod(Pruning.Method.QUOTA).setKeepTokens(8 * 36).setGlobalBudget(true)
                        .putParams("scorer", "attention"),
                Pruning.newBuilder().setMethod(Pruning.Method.ZERO_TPRUNE).setKeepTokens(36))) {
            AskResponse r = stack.blocking().ask(ask(it, p));
            assertTrue(r.getUsage().getVisualTokensUsed() <= 8 * 36, p.getMethod() + ": " + r.getUsage().getVisualTokensUsed());
            assertTrue(!r.getAnswer().isBlank(), p.getMethod() + " answered");
        }
    }

    /** More frames than the prompt can name: refused before tokenizing, saying how many fit. */
    @Test
    void nineFramesAreRefusedWithWhatFits() {
        EvalItem it = clips.get(0);
        AskRequest nine = it.ask().addImages(it.ask().getImages(0)).build();
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> stack.blocking().ask(nine));
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
        assertTrue(e.getStatus().getDescription().contains("at most 8"), e.getStatus().getDescription());
        assertEquals(VideoFamily.CLASSIC.length, clips.stream().map(EvalItem::family).distinct().count());
    }
}
