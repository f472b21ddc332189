package io.glimpse.app;

import io.glimpse.model.bundle.ModelBundle;
import io.glimpse.model.onnx.OrtSessionFactory;
import io.glimpse.proto.v1.AskResponse;
import io.glimpse.proto.v1.Generation;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** CoreMatching's neuron half through the real chain: decode steps over each layer's core neurons. */
class CoreNeuronDecodingTest {
    static EmbeddedStack stack;

    @BeforeAll
    static void start() {
        stack = StackFixture.start(EmbeddedStack.Transport.LOOPBACK);
    }

    @AfterAll
    static void stop() {
        stack.close();
    }

    static AskResponse ask(ExampleSet.Example e, float core) {
        return stack.blocking().ask(StackFixture.ask(e).setGeneration(Generation.newBuilder().setCoreNeurons(core)).build());
    }

    @Test
    void atTheMethodsBetaTheAnswersAreTheDenseOnesAndFewNeuronsChangeThem() {
        int same = 0;
        int sameStarved = 0;
        int n = 0;
        for (ExampleSet.Example e : StackFixture.examples().examples()) {
            // the first token comes from the dense prefill; whether and how the answer goes on is decided by
            // decode steps over the core neurons
            String dense = ask(e, 0f).getAnswer();
            same += dense.equals(ask(e, 0.4f).getAnswer()) ? 1 : 0;
            sameStarved += dense.equals(ask(e, 0.002f).getAnswer()) ? 1 : 0;
            n++;
        }
        assertTrue(same >= n - 1, same + " of " + n + " agree with the dense FFN at beta 0.4");
        assertTrue(sameStarved < same, "one neuron per layer changes the text: " + sameStarved + " of " + n
                + " agree, so the decode steps really ran the restricted FFN");
    }

    @Test
    void aBetaOutsideTheUnitIntervalIsRefusedBeforeAnyWork() {
        ExampleSet.Example e = StackFixture.examples().examples().get(2);
        String dense = ask(e, 0f).getAnswer();
        for (float bad : new float[]{-0.1f, 1.5f, Float.NaN}) {
            StatusRuntimeException ex = assertThrows(StatusRuntimeException.class, () -> ask(e, bad));
            assertEquals(Status.Code.INVALID_ARGUMENT, ex.getStatus().getCode());
            assertTrue(ex.getStatus().getDescription().contains("core_neurons must be in [0, 1]"), ex.getStatus().getDescription());
        }
        assertEquals(dense, ask(e, 0.4f).getAnswer(), "the next call is served");
    }

    @Test
    void aBundleWithoutTheCoreDecoderSaysWhichFile(@TempDir Path dir) throws IOException {
        // a bundle made before them: neither file
        ModelBundle without = StackFixture.bundleWithout(dir, "decoder_model_core.onnx", "ffn_weights.bin");
        try (EmbeddedStack s = EmbeddedStack.start(without, OrtSessionFactory.cpu(), EmbeddedStack.Transport.IN_PROCESS)) {
            ExampleSet.Example e = StackFixture.examples().examples().get(2);
            StatusRuntimeException ex = assertThrows(StatusRuntimeException.class, () -> s.blocking().ask(StackFixture.ask(e)
                    .setGeneration(Generation.newBuilder().setCoreNeurons(0.4f)).build()));
            assertEquals(Status.Code.FAILED_PRECONDITION, ex.getStatus().getCode());
            assertTrue(ex.getStatus().getDescription().contains("onnx/decoder_model_core.onnx"), ex.getStatus().getDescription());
            assertEquals(ask(e, 0f).getAnswer(), s.blocking().ask(StackFixture.ask(e).build()).getAnswer(),
                    "dense decoding still serves");
        }
    }
}
