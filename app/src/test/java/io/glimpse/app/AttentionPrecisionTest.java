package io.glimpse.app;

import io.glimpse.common.grpc.TensorCodec;
import io.glimpse.model.onnx.OrtSessionFactory;
import io.glimpse.common.tensor.FloatTensor;
import io.glimpse.common.tokens.TokenSet;
import io.glimpse.proto.v1.DType;
import io.glimpse.pruner.select.PruningMethod;
import io.glimpse.pruner.select.PruningSpec;
import io.glimpse.pruner.select.TokenPrunerEngine;
import io.glimpse.shapes.ScenePng;
import io.glimpse.shapes.ShapesVqaGenerator;
import io.glimpse.tokenizer.encode.ImageTokenizerEngine;
import io.glimpse.tokenizer.encode.TokenizationSpec;
import io.glimpse.tokenizer.image.ImageLimits;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What forwarding the ViT graph compactly costs Zero-TPrune: the share of the fp32 selection kept
 * when attention and keys travel as fp16, or when only each row's top m entries are kept.
 * Prints the figures docs/pruning.md quotes.
 */
class AttentionPrecisionTest {
    @Test
    void fp16GraphKeepsTheSameSelection() throws Exception {
        List<TokenSet> sets = new ArrayList<>();
        ShapesVqaGenerator gen = new ShapesVqaGenerator(99);
        try (ImageTokenizerEngine tokenizer = new ImageTokenizerEngine(StackFixture.bundle(), OrtSessionFactory.cpu(),
                ImageLimits.defaults(), 8)) {
            for (int i = 0; i < 40; i++) {
                sets.add(tokenizer.tokenize(List.of(ScenePng.encode(gen.next().scene())), TokenizationSpec.full(), true).get(0));
            }
        }
        TokenPrunerEngine pruner = new TokenPrunerEngine();
        for (int keep : new int[]{16, 36}) {
            double fp16 = 0;
            double[] topM = new double[3];
            int[] ms = {8, 16, 32};
            for (TokenSet t : sets) {
                Set<Integer> ref = kept(pruner, t, keep, Map.of());
                TokenSet half = new TokenSet(t.embeddings(), t.kind(), t.origin(), t.span(), t.gridH(), t.gridW(),
                        t.pooledSide(), roundTrip(t.attention()), roundTrip(t.keys()), t.report(), null);
                fp16 += overlap(ref, kept(pruner, half, keep, Map.of()));
                for (int i = 0; i < ms.length; i++) {
                    topM[i] += overlap(ref, kept(pruner, t, keep, Map.of("graph_top_m", String.valueOf(ms[i]))));
                }
            }
            fp16 /= sets.size();
            System.out.printf("Zero-TPrune keep %d of 144: selection agreement with fp32 graph: fp16 %.3f, top-8 %.3f, "
                    + "top-16 %.3f, top-32 %.3f%n", keep, fp16, topM[0] / sets.size(), topM[1] / sets.size(), topM[2] / sets.size());
            assertTrue(fp16 >= 0.95, "fp16 graph agreement " + fp16);
            assertTrue(topM[0] < topM[2], "a sparser graph agrees less: top-8 " + topM[0] + " vs top-32 " + topM[2]);
        }
    }

    static FloatTensor roundTrip(FloatTensor t) {
        return TensorCodec.decode(TensorCodec.encode(t, DType.FP16), "t");
    }

    static Set<Integer> kept(TokenPrunerEngine pruner, TokenSet t, int keep, Map<String, String> params) {
        TokenSet out = pruner.prune(List.of(t), new PruningSpec(PruningMethod.ZERO_TPRUNE, keep, 0f, false, 0L, params), "q")
                .images().get(0);
        Set<Integer> s = new HashSet<>();
        for (int o : out.origin()) {
            s.add(o);
        }
        return s;
    }

    static double overlap(Set<Integer> a, Set<Integer> b) {
        Set<Integer> both = new HashSet<>(a);
        both.retainAll(b);
        return (double) both.size() / a.size();
    }
}
