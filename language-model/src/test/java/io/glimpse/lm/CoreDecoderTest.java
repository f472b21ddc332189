package io.glimpse.lm;

import io.glimpse.model.bundle.ModelBundle;
import io.glimpse.model.onnx.OrtSessionFactory;
import io.glimpse.common.tensor.FloatTensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The core-neuron decoder of the bundled model against its merged decoder, and the gather of neuron rows. */
class CoreDecoderTest {
    static ModelBundle bundle;
    static LanguageModel lm;

    @BeforeAll
    static void open() {
        bundle = ModelBundle.open(Path.of(System.getProperty("glimpse.bundle", "../models/glimpse-shapes-v3")));
        lm = new LanguageModel(bundle, OrtSessionFactory.cpu());
    }

    @AfterAll
    static void close() throws Exception {
        lm.close();
    }

    static float[] embeds(int n, long seed) {
        Random r = new Random(seed);
        float[] x = new float[n * bundle.config().hiddenSize()];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian() * 0.5f;
        }
        return x;
    }

    static long[] positions(int from, int n) {
        long[] p = new long[n];
        for (int i = 0; i < n; i++) {
            p[i] = from + i;
        }
        return p;
    }

    @Test
    void withEveryNeuronItIsTheMergedDecoderStepAfterStep() {
        assertTrue(lm.hasCoreNeurons(), "the bundled model ships decoder_model_core.onnx and ffn_weights.bin");
        try (KvCache dense = lm.newCache(); KvCache core = lm.newCache()) {
            float[] prompt = embeds(9, 1);
            FloatTensor a = lm.forward(prompt, positions(0, 9), dense, null);
            LanguageModel.CoreStep b = lm.forwardCore(prompt, positions(0, 9), core, lm.fullFfn(), true, null);
            assertClose(a, b.logits(), 1e-4f);
            assertEquals(bundle.config().numLayers(), b.activations().length);
            assertEquals(bundle.config().intermediateSize(), b.activations()[0].dim(1));
            // and a decode step on each one's own cache
            float[] next = embeds(1, 2);
            assertClose(lm.forward(next, positions(9, 1), dense, null),
                    lm.forwardCore(next, positions(9, 1), core, lm.fullFfn(), false, null).logits(), 1e-4f);
        }
    }

    @Test
    void gatheredRowsAreTheNeuronsAsked() {
        int layers = bundle.config().numLayers();
        int f = bundle.config().intermediateSize();
        float[] prompt = embeds(6, 3);
        FloatTensor[] full;
        try (KvCache c = lm.newCache()) {
            full = lm.forwardCore(prompt, positions(0, 6), c, lm.fullFfn(), true, null).activations();
        }
        // a different subset per layer, of different sizes; the second round reuses the first one's buffers
        for (int round = 0; round < 2; round++) {
            int[][] kept = new int[layers][];
            for (int l = 0; l < layers; l++) {
                int k = round == 0 ? 7 + 5 * l : 40 - 3 * l;
                kept[l] = new int[k];
                for (int i = 0; i < k; i++) {
                    kept[l][i] = (i * 37 + l * 11 + round * 5) % f;
                }
                java.util.Arrays.sort(kept[l]);
            }
            try (CoreFfn.Gathered weights = lm.ffn().gather(kept); KvCache c = lm.newCache()) {
                FloatTensor[] sub = lm.forwardCore(prompt, positions(0, 6), c, weights.tensors(), true, null).activations();
                for (int l = 0; l < layers; l++) {
                    assertEquals(kept[l].length, sub[l].dim(1), "layer " + l + " runs its own neurons only");
                }
                // layer 0 sees the same input either way: its kept neurons' activations are the full run's columns
                for (int t = 0; t < 6; t++) {
                    for (int i = 0; i < kept[0].length; i++) {
                        assertEquals(full[0].data()[t * f + kept[0][i]], sub[0].data()[t * kept[0].length + i], 1e-5f,
                                "round " + round + " token " + t + " neuron " + kept[0][i]);
                    }
                }
            }
        }
    }

    static void assertClose(FloatTensor want, FloatTensor got, float tol) {
        assertEquals(want.data().length, got.data().length);
        float worst = 0;
        for (int i = 0; i < want.data().length; i++) {
            worst = Math.max(worst, Math.abs(want.data()[i] - got.data()[i]));
        }
        assertTrue(worst <= tol, "largest difference " + worst);
    }
}
