package io.glimpse.runner.engine;

import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.glimpse.common.admission.BoundedAdmission;
import io.glimpse.common.cancel.Cancellation;
import io.glimpse.common.cost.PrefillCost;
import io.glimpse.common.error.GlimpseException;
import io.glimpse.common.tokens.TokenSet;
import io.glimpse.lm.LanguageModel;
import io.glimpse.lm.PromptBuilder;
import io.glimpse.lm.PromptLayout;
import io.glimpse.lm.TextTokenizer;
import io.glimpse.model.bundle.BundleConfig;
import io.glimpse.model.bundle.ModelBundle;
import io.glimpse.model.onnx.OrtSessionFactory;
import io.glimpse.runner.schedule.Sequence;
import io.glimpse.runner.schedule.StepScheduler;

import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The runner of docs/design/model.md: lays out the prompt and embeds it (the visual embeddings
 * written over the image-token rows) on the caller's thread, then hands the generation to the
 * {@link StepScheduler}, whose one {@link StepLoop} prefills it in chunks and decodes it in the
 * shared batch until end-of-sequence or its token limit, streaming text. Admission is bounded;
 * a caller that gives up is released at once and its generation leaves at the next step.
 */
public final class VlmEngine implements AutoCloseable {
    private final BundleConfig config;
    private final TextTokenizer tokenizer;
    private final LanguageModel lm;
    private final RunnerLimits limits;
    private final BoundedAdmission admission;
    private final AtomicLong decodeSteps = new AtomicLong();
    private final int maxTokensPerImage;
    private final PromptBuilder prompts;
    private final StepScheduler<Generation> scheduler;
    private final StepLoop loop;

    public VlmEngine(ModelBundle bundle, OrtSessionFactory sessions, RunnerLimits limits) {
        this.config = bundle.config();
        this.tokenizer = new TextTokenizer(bundle.require(ModelBundle.TOKENIZER, "the VLM runner"));
        this.lm = new LanguageModel(bundle, sessions);
        this.limits = limits;
        this.admission = new BoundedAdmission("vlm-runner", limits.maxConcurrent(), limits.maxQueued());
        this.maxTokensPerImage = bundle.maxVisualTokensPerImage();
        this.prompts = PromptBuilder.of(bundle, tokenizer);
        int rows = Math.max(1, Math.min(limits.decodeBatch(), limits.maxConcurrent()));
        this.scheduler = new StepScheduler<>(new StepScheduler.Limits(rows, (long) rows * (config.maxPositions() + 1),
                limits.prefillLanes(), limits.prefillChunk()), System::nanoTime);
        this.loop = new StepLoop(scheduler, new BatchExecutor(lm, rows, decodeSteps));
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
        if (prompts.takesTextOnly()) {
            generate("warm up", List.of(), GenerationParams.greedy(2), t -> { }, new Cancellation());
        }
    }

    public GenerationResult generate(String question, List<TokenSet> images, GenerationParams params,
                                     TokenStream stream, Cancellation cancel) {
        return generate(question, images, params, stream, cancel, Long.MAX_VALUE);
    }

    /**
     * @param deadlineNanos on {@link System#nanoTime()}'s clock ({@link Long#MAX_VALUE} = none): a
     *                      generation still queued or running then leaves with DEADLINE_EXCEEDED
     */
    public GenerationResult generate(String question, List<TokenSet> images, GenerationParams params,
                                     TokenStream stream, Cancellation cancel, long deadlineNanos) {
        int maxNew = validate(question, images, params);
        // the whole prompt is checked before the call takes a slot: a refusal costs no queueing
        PromptLayout layout = prompts.build(question.trim(), images);
        if (layout.nextPosition() + maxNew > config.maxPositions()) {
            throw GlimpseException.invalid("prompt needs positions up to " + (layout.nextPosition() + maxNew)
                    + " (" + layout.length() + " prompt tokens incl. " + layout.visualTokens() + " visual, plus "
                    + maxNew + " new) but the model has " + config.maxPositions()
                    + "; shorten the question, use fewer visual tokens or lower max_new_tokens");
        }
        try (BoundedAdmission.Permit ignored = admission.admit(() -> !cancel.isCancelled())) {
            checkCancelled(cancel);
            GenerationProgress progress = new GenerationProgress(new Sampler(params.temperature(), params.topP(), params.seed()),
                    maxNew, params.minNewTokens(), stream, tokenizer, config.eosTokenId());
            Generation g = new Generation(layout, lm.embedPrompt(layout, images), progress, cancel, params.coreNeurons(),
                    new OrtSession.RunOptions());
            cancel.onCancel(() -> {
                terminate(g.options);   // a prefill chunk or core-neuron step of its own stops at once
                g.done.completeExceptionally(GlimpseException.cancelled("generation stopped: the call was cancelled"));
            });
            scheduler.submit(new Sequence<>(g, layout.length(), maxNew, deadlineNanos,
                    cancel::isCancelled));
            return g.done.get();
        } catch (OrtException e) {
            throw new GlimpseException(GlimpseException.Kind.INTERNAL, "ONNX Runtime: " + e.getMessage(), e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new GlimpseException(GlimpseException.Kind.INTERNAL, "generation failed: " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            cancel.cancel();
            throw GlimpseException.cancelled("generation interrupted");
        }
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
        loop.close();
        lm.close();
        tokenizer.close();
    }
}
