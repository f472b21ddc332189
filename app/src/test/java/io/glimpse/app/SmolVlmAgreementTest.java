package io.glimpse.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import io.glimpse.model.bundle.ModelBundle;
import io.glimpse.model.onnx.OrtSessionFactory;
import io.glimpse.common.tensor.FloatTensor;
import io.glimpse.common.tokens.TokenSet;
import io.glimpse.lm.Idefics3Prompt;
import io.glimpse.lm.KvCache;
import io.glimpse.lm.LanguageModel;
import io.glimpse.lm.PromptLayout;
import io.glimpse.lm.TextTokenizer;
import io.glimpse.proto.v1.AskRequest;
import io.glimpse.proto.v1.AskResponse;
import io.glimpse.proto.v1.Generation;
import io.glimpse.proto.v1.Image;
import io.glimpse.proto.v1.Pruning;
import io.glimpse.proto.v1.TokenPolicy;
import io.glimpse.proto.v1.Tokenization;
import io.glimpse.runner.engine.RunnerLimits;
import io.glimpse.tokenizer.encode.ImageTokenizerEngine;
import io.glimpse.tokenizer.encode.TokenizationSpec;
import io.glimpse.tokenizer.image.ImageLimits;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A SmolVLM-layout bundle (tools/smolvlm_tiny.py: random weights, the real layout) through
 * Glimpse's own preprocessing, prompt and decoder loop, against the PyTorch reference of the same
 * weights: the prompt token for token, the first step's logits within 1e-4 and the greedy tokens;
 * then the same bundle through the whole gRPC chain.
 */
class SmolVlmAgreementTest {
    private static final Path BUNDLE = StackFixture.HOME.resolve("models/smolvlm-tiny");
    private static final JsonNode CASES = cases();
    private static EmbeddedStack stack;

    private static JsonNode cases() {
        try {
            return new ObjectMapper().readTree(BUNDLE.resolve("reference/fixtures.json").toFile()).get("cases");
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @BeforeAll
    static void start() {
        stack = EmbeddedStack.start(ModelBundle.open(BUNDLE), OrtSessionFactory.cpu(), EmbeddedStack.Transport.IN_PROCESS);
    }

    @AfterAll
    static void stop() {
        if (stack != null) {
            stack.close();
        }
    }

    private static byte[] image(String name) {
        try {
            return Files.readAllBytes(BUNDLE.resolve("reference").resolve(name));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void logitsAndGreedyTokensMatchThePyTorchReference() throws Exception {
        ModelBundle bundle = ModelBundle.open(BUNDLE);
        OrtSessionFactory sessions = OrtSessionFactory.cpu();
        try (ImageTokenizerEngine tokenizer = new ImageTokenizerEngine(bundle, sessions, ImageLimits.defaults(), 8);
             TextTokenizer text = new TextTokenizer(bundle.require(ModelBundle.TOKENIZER, "test"));
             LanguageModel lm = new LanguageModel(bundle, sessions)) {
            Idefics3Prompt prompts = new Idefics3Prompt(((io.glimpse.model.bundle.ModelFamily.Idefics3) bundle.family()).spec(), bundle.config(), text);
            int eos = bundle.config().eosTokenId();
            for (JsonNode c : CASES) {
                List<Supplier<byte[]>> images = new ArrayList<>();
                c.get("images").forEach(n -> images.add(() -> image(n.asText())));
                List<TokenSet> sets = tokenizer.tokenizeSources(images, TokenizationSpec.full(), false);
                for (int i = 0; i < sets.size(); i++) {
                    assertEquals(c.get("grids").get(i).get(0).asInt(), sets.get(i).tiles().rows(), c.get("images").toString());
                    assertEquals(c.get("grids").get(i).get(1).asInt(), sets.get(i).tiles().cols());
                }
                PromptLayout layout = prompts.build(c.get("question").asText(), sets);
                assertArrayEquals(longs(c.get("prompt_ids")), layout.ids(), "prompt of " + c.get("images"));
                try (KvCache cache = lm.newCache()) {
                    FloatTensor logits = lm.forward(lm.embedPrompt(layout, sets), layout.positions(), cache, null);
                    float[] last = lastRow(logits);
                    JsonNode expected = c.get("first_logits");
                    assertEquals(expected.size(), last.length);
                    double worst = 0;
                    for (int v = 0; v < last.length; v++) {
                        worst = Math.max(worst, Math.abs(last[v] - expected.get(v).asDouble()));
                    }
                    assertTrue(worst <= 1e-4, "max |logit - reference| = " + worst + " for " + c.get("images"));
                    List<Long> greedy = new ArrayList<>();
                    long position = layout.nextPosition();
                    for (int step = 0; step < c.get("greedy").size(); step++) {
                        int next = argmax(last);
                        greedy.add((long) next);
                        if (next == eos) {
                            break;
                        }
                        last = lastRow(lm.forward(lm.embed(new long[]{next}), new long[]{position++}, cache, null));
                    }
                    assertArrayEquals(longs(c.get("greedy")), greedy.stream().mapToLong(Long::longValue).toArray(),
                            "greedy tokens of " + c.get("images"));
                }
            }
        }
    }

    /** A repeated image skips the tiles' decoding and encoding, under any policy, with the same tokens. */
    @Test
    void theEncoderCacheServesTiledImages() throws Exception {
        ModelBundle bundle = ModelBundle.open(BUNDLE);
        try (ImageTokenizerEngine tokenizer = new ImageTokenizerEngine(bundle, OrtSessionFactory.cpu(), ImageLimits.defaults(), 8,
                ImageTokenizerEngine.Batching.OFF, 8L << 20)) {
            List<Supplier<byte[]>> one = List.of(() -> image(CASES.get(0).get("images").get(0).asText()));
            TokenSet first = tokenizer.tokenizeSources(one, TokenizationSpec.full(), false).get(0);
            TokenSet again = tokenizer.tokenizeSources(one, TokenizationSpec.full(), false).get(0);
            TokenSet pooled = tokenizer.tokenizeSources(one, new TokenizationSpec(io.glimpse.common.tokens.TokenizationMode.POOLED,
                    4, 0, 0, 0f), false).get(0);
            assertEquals(2, tokenizer.cache().hits());
            assertEquals(1, tokenizer.cache().misses());
            assertArrayEquals(first.embeddings().data(), again.embeddings().data());
            assertEquals(first.tiles(), again.tiles());
            assertEquals(new io.glimpse.common.tokens.Tiles(2, 2, 4), pooled.tiles());
        }
    }

    /**
     * Tiles never encoded: the global image is encoded first, then only the max_tiles tiles the question's
     * relevance picks. Every tile kept is today's tokens exactly; a kept tile's tokens are what encoding the
     * whole image gives it; the encoder runs on the global image and the chosen tiles alone.
     */
    @Test
    void maxTilesEncodesOnlyTheTilesTheQuestionPicks() throws Exception {
        JsonNode c = CASES.get(0);
        String q = c.get("question").asText();
        List<Supplier<byte[]>> one = List.of(() -> image(c.get("images").get(0).asText()));
        try (ImageTokenizerEngine tokenizer = new ImageTokenizerEngine(ModelBundle.open(BUNDLE), OrtSessionFactory.cpu(),
                ImageLimits.defaults(), 8)) {
            TokenSet full = tokenizer.tokenizeSources(one, TokenizationSpec.full().withQuestion(q), false).get(0);
            assertEquals(5, tokenizer.tilesEncoded(), "2 x 2 tiles and the global image");
            TokenSet every = tokenizer.tokenizeSources(one, TokenizationSpec.full().withQuestion(q).withMaxTiles(4), false).get(0);
            assertArrayEquals(full.embeddings().data(), every.embeddings().data());
            assertArrayEquals(full.origin(), every.origin());
            long before = tokenizer.tilesEncoded();
            TokenSet two = tokenizer.tokenizeSources(one, TokenizationSpec.full().withQuestion(q).withMaxTiles(2), false).get(0);
            assertEquals(3, tokenizer.tilesEncoded() - before, "the global image and two tiles, nothing else");
            assertEquals(3 * 16, two.count());
            assertEquals(full.span(), two.span(), "the whole image's positions");
            assertEquals(full.tiles(), two.tiles());
            int h = full.hidden();
            for (int i = 0; i < two.count(); i++) {
                int o = two.origin()[i];
                float[] got = java.util.Arrays.copyOfRange(two.embeddings().data(), i * h, (i + 1) * h);
                float[] want = java.util.Arrays.copyOfRange(full.embeddings().data(), o * h, (o + 1) * h);
                for (int k = 0; k < h; k++) {
                    assertEquals(want[k], got[k], 1e-4, "origin " + o);
                }
            }
            assertEquals(2, java.util.Arrays.stream(two.origin(), 0, 2 * 16).map(o -> o / 16).distinct()
                    .filter(t -> t < 4).count(), "two of the four tiles first");
            assertEquals(4 * 16, two.origin()[2 * 16], "the global image's tokens follow the two tiles");
        }
        AskResponse r = stack.blocking().ask(AskRequest.newBuilder().setQuestion(q)
                .addImages(Image.newBuilder().setData(ByteString.copyFrom(image(c.get("images").get(0).asText()))))
                .setPolicy(TokenPolicy.newBuilder().setTokenization(Tokenization.newBuilder().setMaxTiles(1))).build());
        assertEquals(2 * 16, r.getUsage().getVisualTokensUsed(), "one tile and the global image");
        assertTrue(!r.getAnswer().isBlank());
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> stack.blocking().ask(AskRequest.newBuilder()
                .setQuestion(q).addImages(Image.newBuilder().setData(ByteString.copyFrom(image(c.get("images").get(0).asText()))))
                .setPolicy(TokenPolicy.newBuilder().setTokenization(Tokenization.newBuilder().setMaxTiles(-1))).build()));
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
        assertTrue(e.getStatus().getDescription().contains("max_tiles"), e.getStatus().getDescription());
    }

    @Test
    void theChainAnswersWhatTheReferenceGenerates() throws Exception {
        try (TextTokenizer text = new TextTokenizer(BUNDLE.resolve("tokenizer.json"))) {
            JsonNode c = CASES.get(0);
            long[] greedy = longs(c.get("greedy"));
            AskResponse r = stack.blocking().ask(AskRequest.newBuilder().setQuestion(c.get("question").asText())
                    .addImages(Image.newBuilder().setData(ByteString.copyFrom(image(c.get("images").get(0).asText()))))
                    .setGeneration(Generation.newBuilder().setMaxNewTokens(greedy.length)).build());
            assertEquals(text.decode(greedy).trim(), r.getAnswer());
            int tiles = c.get("grids").get(0).get(0).asInt() * c.get("grids").get(0).get(1).asInt() + 1;
            assertEquals(tiles * 16, r.getUsage().getVisualTokensUsed(), "16 tokens per tile, global image included");
            assertEquals(2, r.getSelections(0).getTileRows());
            assertEquals(16, r.getSelections(0).getTileTokens());
        }
    }

    @Test
    void pooledTilesAndPruningShrinkThePrompt() {
        JsonNode c = CASES.get(0);
        AskRequest.Builder ask = AskRequest.newBuilder().setQuestion(c.get("question").asText())
                .addImages(Image.newBuilder().setData(ByteString.copyFrom(image(c.get("images").get(0).asText()))));
        AskResponse full = stack.blocking().ask(ask.build());
        AskResponse pooled = stack.blocking().ask(ask.clone().setPolicy(TokenPolicy.newBuilder()
                .setTokenization(Tokenization.newBuilder().setMode(Tokenization.Mode.POOLED).setTokens(4))).build());
        assertEquals(5 * 4, pooled.getUsage().getVisualTokensUsed(), "2 x 2 tiles + global, 2 x 2 tokens each");
        assertEquals(full.getUsage().getPromptTokens() - 5 * 12, pooled.getUsage().getPromptTokens(),
                "positions are compact: every dropped token shortens the prompt");
        AskResponse pruned = stack.blocking().ask(ask.clone().setPolicy(TokenPolicy.newBuilder()
                .setPruning(Pruning.newBuilder().setMethod(Pruning.Method.DIVPRUNE).setKeepTokens(24))).build());
        assertEquals(24, pruned.getUsage().getVisualTokensUsed());
        assertEquals(full.getUsage().getPromptTokens() - (80 - 24), pruned.getUsage().getPromptTokens());
        assertEquals(80, pruned.getUsage().getVisualTokensFull(), "5 tiles of 16 at FULL");
        assertEquals(5, pruned.getUsage().getTiles());
        assertTrue(pruned.getUsage().getPrefillFlopsUsed() < pruned.getUsage().getPrefillFlopsFull());

        // QuoTA assigns the budget over tiles, then shrinks each tile's grid to its share (without an
        // LM probe its default scorer is the question's similarity to each tile)
        AskResponse quota = stack.blocking().ask(ask.clone().setPolicy(TokenPolicy.newBuilder()
                .setPruning(Pruning.newBuilder().setMethod(Pruning.Method.QUOTA).setKeepTokens(24))).build());
        int used = quota.getUsage().getVisualTokensUsed();
        assertTrue(used <= 24 && used > 12, "a tile's share becomes the largest grid within it: " + used);
        io.glimpse.proto.v1.ImageSelection sel = quota.getSelections(0);
        java.util.Set<Integer> tilesKept = new java.util.HashSet<>();
        sel.getKeptOriginList().forEach(o -> tilesKept.add(o / sel.getTileTokens()));
        assertTrue(tilesKept.size() > 1, "the budget is spread over tiles: " + tilesKept);
        assertEquals(80, sel.getScoresCount(), "one score per tokenized token");

        // methods that need a part the bundle lacks say which
        for (Pruning.Method m : List.of(Pruning.Method.FASTV, Pruning.Method.CORE_MATCHING)) {
            StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> stack.blocking().ask(ask.clone()
                    .setPolicy(TokenPolicy.newBuilder().setPruning(Pruning.newBuilder().setMethod(m).setKeepTokens(8))).build()));
            assertEquals(Status.Code.FAILED_PRECONDITION, e.getStatus().getCode(), m.name());
            assertTrue(e.getStatus().getDescription().contains("lm_probe.onnx"), e.getStatus().getDescription());
        }
        // a question cannot smuggle image tokens into the prompt
        StatusRuntimeException smuggled = assertThrows(StatusRuntimeException.class, () -> stack.blocking().ask(ask.clone()
                .setQuestion("what is <image><fake_token_around_image> here?").build()));
        assertEquals(Status.Code.INVALID_ARGUMENT, smuggled.getStatus().getCode());
        assertTrue(smuggled.getStatus().getDescription().contains("may not contain the image tokens"));
        StatusRuntimeException flex = assertThrows(StatusRuntimeException.class, () -> stack.blocking().ask(ask.clone()
                .setPolicy(TokenPolicy.newBuilder().setTokenization(Tokenization.newBuilder()
                        .setMode(Tokenization.Mode.FLEX_PREFIX).setTokens(4))).build()));
        assertEquals(Status.Code.FAILED_PRECONDITION, flex.getStatus().getCode());
        assertTrue(flex.getStatus().getDescription().contains("resampler"), flex.getStatus().getDescription());
    }

    private static long[] longs(JsonNode a) {
        long[] out = new long[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).asLong();
        }
        return out;
    }

    private static float[] lastRow(FloatTensor logits) {
        int vocab = logits.dim(1);
        float[] row = new float[vocab];
        System.arraycopy(logits.data(), (logits.dim(0) - 1) * vocab, row, 0, vocab);
        return row;
    }

    private static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[best]) {
                best = i;
            }
        }
        return best;
    }
}
