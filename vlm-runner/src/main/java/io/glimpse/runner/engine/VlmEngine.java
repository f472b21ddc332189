package io.glimpse.runner.engine;

import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.glimpse.common.admission.BoundedAdmission;
import io.glimpse.common.admission.FifoSlots;
import io.glimpse.model.bundle.BundleConfig;
import io.glimpse.common.cancel.Cancellation;
import io.glimpse.model.bundle.ModelBundle;
import io.glimpse.common.cost.PrefillCost;
import io.glimpse.common.error.GlimpseException;
import io.glimpse.model.onnx.OrtSessionFactory;
import io.glimpse.common.tensor.FloatTensor;
import io.glimpse.common.tokens.TokenSet;
import io.glimpse.common.methods.PruningMethods;
import io.glimpse.lm.CoreFfn;
import io.glimpse.lm.CoreNeurons;
import io.glimpse.lm.KvCache;
import io.glimpse.lm.LanguageModel;
import io.glimpse.lm.Idefics3Prompt;
import io.glimpse.lm.PromptLayout;
import io.glimpse.lm.TextTokenizer;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The decode loop of docs/design/model.md: lay out the prompt, embed it, write the visual embeddings over the
 * image-token rows, prefill, then one token at a time with the KV cache until end-of-sequence or
 * the token limit, streaming text. Concurrency is bounded; cancellation aborts the in-flight run.
 */
public final class VlmEngine implements AutoCloseable {
    private final BundleConfig config;
    private final TextTokenizer tokenizer;
    private final LanguageModel lm;
    private final RunnerLimits limits;
    private final BoundedAdmission admission;
    private final AtomicLong decodeSteps = new AtomicLong();
    private final int maxTokensPerImage;
    private final Idefics3Prompt idefics3;   // null for a Glimpse bundle
    private final DecodeScheduler scheduler; // null: every generation decodes on its own
    private final FifoSlots prefills;
    /** Core-neuron generations decoding at once: each holds its own gathered FFN rows. */
    private final FifoSlots coreDecodes;
    /** CoreMatching's per-token share of positive activations (the method's default, as the pruner's). */
    private static final double CORE_RHO = PruningMethods.of("CORE_MATCHING").param("rho").defaultNumber();
    private final java.util.concurrent.atomic.AtomicInteger prefilling = new java.util.concurrent.atomic.AtomicInteger();

    public VlmEngine(ModelBundle bundle, OrtSessionFactory sessions, RunnerLimits limits) {
        this.config = bundle.config();
        this.tokenizer = new TextTokenizer(bundle.require(ModelBundle.TOKENIZER, "the VLM runner"));
        this.lm = new LanguageModel(bundle, sessions);
        this.limits = limits;
        this.admission = new BoundedAdmission("vlm-runner", limits.maxConcurrent(), limits.maxQueued());
        this.maxTokensPerImage = bundle.maxVisualTokensPerImage();
        this.idefics3 = bundle.idefics3() == null ? null : new Idefics3Prompt(bundle.idefics3(), config, tokenizer);
        this.scheduler = limits.decodeBatch() > 1
                ? new DecodeScheduler(lm, limits.decodeBatch(), decodeSteps, prefilling::get) : null;
        // prefills are compute-bound: more at once than cores only makes each one slower; in arrival order, so
        // that under load no generation waits behind later ones
        this.prefills = new FifoSlots(Math.max(1, Math.min(limits.maxConcurrent(), Runtime.getRuntime().availableProcessors())));
        this.coreDecodes = new FifoSlots(Math.max(1, Runtime.getRuntime().availableProcessors()));
    }

    public BundleConfig config() {
        return config;
    }

    public LanguageModel languageModel() {
        return lm;
    }

    public TextTokenizer tokenizer() {
        return tokenizer;
    }

    public BoundedAdmission admission() {
        return admission;
    }

    /** The most visual tokens one image can carry: what the bundle's grid or registers produce. */
    public int maxTokensPerImage() {
        return maxTokensPerImage;
    }

    /** Decode steps run since start (all calls); lets tests see that cancellation stops decoding. */
    public long decodeSteps() {
        return decodeSteps.get();
    }

    /** Prefill FLOPs of a prompt of {@code tokens} tokens under the cost model of docs/design/cost-model.md. */
    public double prefillFlops(int tokens) {
        return PrefillCost.prefillFlops(tokens, config.hiddenSize(), config.intermediateSize(), config.numLayers());
    }

    /** A short generation so the first request does not pay for lazy initialisation. */
    public void warmUp() {
        if (idefics3 == null) {   // a chat template needs at least the text; Idefics3 warms on its first call
            generate("warm up", List.of(), GenerationParams.greedy(2), t -> { }, new Cancellation());
        }
    }

    public GenerationResult generate(String question, List<TokenSet> images, GenerationParams params,
                                     TokenStream stream, Cancellation cancel) {
        int maxNew = validate(question, images, params);
        // the whole prompt is checked before the call takes a slot: a refusal costs no queueing
        PromptLayout layout = idefics3 != null ? idefics3.build(question.trim(), images)
                : PromptLayout.build(config, tokenizer, question.trim(), images);
        if (layout.nextPosition() + maxNew > config.maxPositions()) {
            throw GlimpseException.invalid("prompt needs positions up to " + (layout.nextPosition() + maxNew)
                    + " (" + layout.length() + " prompt tokens incl. " + layout.visualTokens() + " visual, plus "
                    + maxNew + " new) but the model has " + config.maxPositions()
                    + "; shorten the question, use fewer visual tokens or lower max_new_tokens");
        }
        long queued = System.nanoTime();
        try (BoundedAdmission.Permit ignored = admission.admit(() -> !cancel.isCancelled());
             OrtSession.RunOptions options = new OrtSession.RunOptions();
             KvCache cache = lm.newCache()) {
            long queueMicros = (System.nanoTime() - queued) / 1000;
            cancel.onCancel(() -> terminate(options));
            checkCancelled(cancel);
            long t0;
            FloatTensor logits;
            LanguageModel.CoreStep corePrefill = null;
            prefilling.incrementAndGet();   // the decode batch waits a little for generations on their way
            try {
                prefills.acquire(() -> !cancel.isCancelled(), "a prefill slot");
                t0 = System.nanoTime();
                try {
                    float[] embeds = lm.embedPrompt(layout, images);
                    checkCancelled(cancel);
                    if (params.coreNeurons() > 0f) {
                        corePrefill = lm.forwardCore(embeds, layout.positions(), cache, lm.fullFfn(), true, options);
                        logits = corePrefill.logits();
                    } else {
                        logits = lm.forward(embeds, layout.positions(), cache, options);
                    }
                } finally {
                    prefills.release();
                }
            } finally {
                prefilling.decrementAndGet();
            }
            long prefill = (System.nanoTime() - t0) / 1000;
            float[] last = lastRow(logits);
            GenerationProgress progress = new GenerationProgress(new Sampler(params.temperature(), params.topP(), params.seed()),
                    maxNew, params.minNewTokens(), stream, tokenizer, config.eosTokenId());
            if (corePrefill != null) {
                return decodeOverCoreNeurons(corePrefill.activations(), last, progress, layout, cache, params, cancel,
                        options, queueMicros, prefill);
            }
            if (scheduler != null) {
                DecodeScheduler.Outcome o = scheduler.decode(cache.export(config), (int) cache.length(),
                        layout.nextPosition(), last, progress, cancel);
                String text = tokenizer.decode(o.generated().stream().mapToLong(Long::longValue).toArray());
                return new GenerationResult(text.trim(), layout.length(), layout.visualTokens(), o.generated().size(),
                        o.finish(), queueMicros, prefill, o.decodeMicros());
            }
            long position = layout.nextPosition();
            long t1 = System.nanoTime();
            while (progress.next(last)) {
                checkCancelled(cancel);
                logits = lm.forward(lm.embed(new long[]{progress.last()}), new long[]{position++}, cache, options);
                decodeSteps.incrementAndGet();
                last = lastRow(logits);
            }
            String text = tokenizer.decode(progress.ids());
            return new GenerationResult(text.trim(), layout.length(), layout.visualTokens(), progress.generated().size(),
                    progress.finish(), queueMicros, prefill, (System.nanoTime() - t1) / 1000);
        } catch (OrtException e) {
            throw new GlimpseException(GlimpseException.Kind.INTERNAL, "ONNX Runtime: " + e.getMessage(), e);
        }
    }

    /**
     * CoreMatching's neuron half: the prefill ran the whole FFN and returned every layer's activations;
     * each layer's core neurons (per token its top {@code rho} share of positive activations, then the
     * {@code beta} share most often among them) are gathered once, and every decode step runs the FFN
     * over them only. The FFN differs per request, so these generations decode on their own (not in
     * the shared batch), at most one per core at a time, each holding its gathered rows.
     */
    private GenerationResult decodeOverCoreNeurons(FloatTensor[] act, float[] last, GenerationProgress progress,
                                                   PromptLayout layout, KvCache cache, GenerationParams params,
                                                   Cancellation cancel, OrtSession.RunOptions options, long queueMicros,
                                                   long prefill) {
        long t1 = System.nanoTime();
        // the first token comes from the dense prefill: it is streamed before the core neurons are found
        if (progress.next(last)) {
            coreDecodes.acquire(() -> !cancel.isCancelled(), "a core-neuron decode slot");
            try {
                int[][] kept = new int[act.length][];
                for (int l = 0; l < act.length; l++) {
                    kept[l] = CoreNeurons.indices(CoreNeurons.select(act[l].data(), act[l].dim(0), act[l].dim(1), CORE_RHO,
                            params.coreNeurons()));
                }
                try (CoreFfn.Gathered weights = lm.ffn().gather(kept)) {
                    long position = layout.nextPosition();
                    do {
                        checkCancelled(cancel);
                        last = lastRow(lm.forwardCore(lm.embed(new long[]{progress.last()}), new long[]{position++}, cache,
                                weights.tensors(), false, options).logits());
                        decodeSteps.incrementAndGet();
                    } while (progress.next(last));
                }
            } finally {
                coreDecodes.release();
            }
        }
        String text = tokenizer.decode(progress.ids());
        return new GenerationResult(text.trim(), layout.length(), layout.visualTokens(), progress.generated().size(),
                progress.finish(), queueMicros, prefill, (System.nanoTime() - t1) / 1000);
    }

    private int validate(String question, List<TokenSet> images, GenerationParams p) {
        if (question == null || question.isBlank()) {
            throw GlimpseException.invalid("question is empty");
        }
        if (question.length() > limits.maxQuestionChars()) {
            throw GlimpseException.invalid("question is " + question.length() + " characters; the limit is "
                    + limits.maxQuestionChars());
        }
        if (images.size() > limits.maxImages()) {
            throw GlimpseException.invalid("too many images: " + images.size() + " (the limit is " + limits.maxImages() + ")");
        }
        for (int i = 0; i < images.size(); i++) {
            if (images.get(i).count() > maxTokensPerImage()) {
                throw GlimpseException.invalid("images[" + i + "] has " + images.get(i).count() + " visual tokens; at most "
                        + maxTokensPerImage() + " per image (what the model's vision grid produces)");
            }
            if (images.get(i).hidden() != config.hiddenSize()) {
                throw GlimpseException.invalid("images[" + i + "] embeddings have width " + images.get(i).hidden()
                        + " but the language model expects " + config.hiddenSize());
            }
        }
        if (p.maxNewTokens() < 0 || p.minNewTokens() < 0) {
            throw GlimpseException.invalid("max_new_tokens and min_new_tokens must not be negative");
        }
        if (p.maxNewTokens() > limits.maxNewTokensCap()) {
            throw GlimpseException.invalid("max_new_tokens " + p.maxNewTokens() + " exceeds the server cap of "
                    + limits.maxNewTokensCap());
        }
        if (!Float.isFinite(p.temperature()) || p.temperature() < 0f) {
            throw GlimpseException.invalid("temperature must be a finite number >= 0, got " + p.temperature());
        }
        if (!Float.isFinite(p.topP()) || p.topP() < 0f || p.topP() > 1f) {
            throw GlimpseException.invalid("top_p must be in [0, 1], got " + p.topP());
        }
        if (!Float.isFinite(p.coreNeurons()) || p.coreNeurons() < 0f || p.coreNeurons() > 1f) {
            throw GlimpseException.invalid("core_neurons must be in [0, 1] (0 = the dense FFN), got " + p.coreNeurons());
        }
        if (p.coreNeurons() > 0f && !lm.hasCoreNeurons()) {
            throw GlimpseException.precondition("core_neurons needs " + ModelBundle.CORE_DECODER + " and "
                    + ModelBundle.FFN_WEIGHTS + ", which this bundle does not have (for a Glimpse-layout bundle, tools/export.py"
                    + " --core-only adds them from its checkpoint)");
        }
        int maxNew = p.maxNewTokens() == 0 ? limits.defaultMaxNewTokens() : p.maxNewTokens();
        if (p.minNewTokens() > maxNew) {
            throw GlimpseException.invalid("min_new_tokens " + p.minNewTokens() + " exceeds max_new_tokens " + maxNew);
        }
        return maxNew;
    }

    private static float[] lastRow(FloatTensor logits) {
        int vocab = logits.dim(1);
        float[] row = new float[vocab];
        System.arraycopy(logits.data(), (logits.dim(0) - 1) * vocab, row, 0, vocab);
        return row;
    }

    private static void checkCancelled(Cancellation cancel) {
        if (cancel.isCancelled()) {
            throw GlimpseException.cancelled("generation stopped: the call was cancelled");
        }
    }

    private static void terminate(OrtSession.RunOptions options) {
        try {
            options.setTerminate(true);
        } catch (OrtException | IllegalStateException ignored) {
            // the run already finished and its options were closed: nothing left to abort
        }
    }

    @Override
    public void close() throws Exception {
        if (scheduler != null) {
            scheduler.close();
        }
        lm.close();
        tokenizer.close();
    }
}
