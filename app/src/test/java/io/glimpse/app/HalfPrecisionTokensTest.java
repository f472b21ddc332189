package io.glimpse.app;

import io.glimpse.model.bundle.ModelBundle;
import io.glimpse.common.cancel.Cancellation;
import io.glimpse.common.grpc.TensorCodec;
import io.glimpse.model.onnx.OrtSessionFactory;
import io.glimpse.common.tokens.TokenSet;
import io.glimpse.common.tokens.TokenizationMode;
import io.glimpse.proto.v1.DType;
import io.glimpse.runner.engine.GenerationParams;
import io.glimpse.runner.engine.RunnerLimits;
import io.glimpse.runner.engine.VlmEngine;
import io.glimpse.shapes.Sample;
import io.glimpse.shapes.ScenePng;
import io.glimpse.shapes.ShapesVqaGenerator;
import io.glimpse.tokenizer.encode.ImageTokenizerEngine;
import io.glimpse.tokenizer.encode.TokenizationSpec;
import io.glimpse.tokenizer.image.ImageLimits;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The chain sends visual tokens as FP16 (half the bytes of every hop): the answers are those of
 * FP32 tokens on held-out samples, for the full grid and for pooled tokens.
 */
class HalfPrecisionTokensTest {
    @Test
    void answersFromHalfPrecisionTokensAreTheFullPrecisionAnswers() throws Exception {
        ModelBundle bundle = StackFixture.bundle();
        OrtSessionFactory sessions = OrtSessionFactory.cpu();
        ShapesVqaGenerator samples = new ShapesVqaGenerator(20261128);   // the held-out seed
        int compared = 0;
        List<String> differ = new ArrayList<>();
        try (ImageTokenizerEngine tokenizer = new ImageTokenizerEngine(bundle, sessions, ImageLimits.defaults(), 8);
             VlmEngine runner = new VlmEngine(bundle, sessions, RunnerLimits.defaults().withConcurrency(1, 1))) {
            for (int i = 0; i < 300; i++) {
                Sample s = samples.next();
                TokenizationSpec spec = i % 2 == 0 ? TokenizationSpec.full()
                        : new TokenizationSpec(TokenizationMode.POOLED, 16, 0, 0, 0f);
                TokenSet full = tokenizer.tokenize(List.of(ScenePng.encode(s.scene())), spec, false).get(0);
                TokenSet half = new TokenSet(TensorCodec.decode(TensorCodec.encode(full.embeddings(), DType.FP16), "test"),
                        full.kind(), full.origin(), full.span(), full.gridH(), full.gridW(), full.pooledSide(), null, null,
                        full.report(), null);
                String a = runner.generate(s.question(), List.of(full), GenerationParams.greedy(0), t -> { }, new Cancellation()).text();
                String b = runner.generate(s.question(), List.of(half), GenerationParams.greedy(0), t -> { }, new Cancellation()).text();
                if (!a.equals(b)) {
                    differ.add(i + ": " + s.question() + " -> " + a + " / " + b);
                }
                compared++;
            }
        }
        assertEquals(300, compared);
        assertTrue(differ.isEmpty(), "answers changed with FP16 tokens: " + differ);
    }
}
