package io.glimpse.runner.engine;

import ai.onnxruntime.OrtSession;
import io.glimpse.common.cancel.Cancellation;
import io.glimpse.common.tensor.FloatTensor;
import io.glimpse.lm.CoreFfn;
import io.glimpse.lm.KvCache;
import io.glimpse.lm.PromptLayout;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * What the executor keeps for one generation: its prompt, its keys and values while it prefills
 * (batch of one) and then its place in the decode batch, its sampler and stream, and how it ends.
 * Only the executor's thread touches the mutable fields.
 */
final class Generation {
    final PromptLayout layout;
    final float[] embeds;                 // the prompt's embeddings, visual rows written in
    final GenerationProgress progress;
    final Cancellation cancel;
    final float coreNeurons;              // > 0: decodes over its own core neurons, outside the shared batch
    final CompletableFuture<GenerationResult> done = new CompletableFuture<>();
    final OrtSession.RunOptions options;  // its own runs (prefill, core decode) stop when its caller goes
    final long submittedNanos;
    long prefillStartNanos;
    long decodeStartNanos;
    private boolean released;

    KvCache cache;                        // while it prefills, and for a core-neuron decode
    List<FloatTensor[]> activations;      // core-neuron prefill: each chunk's FFN activations per layer
    CoreFfn.Gathered coreWeights;         // core-neuron decode: its gathered FFN rows
    float[][] past;                       // its prompt's keys and values, until the batch takes them
    int length;                           // positions its keys and values fill
    long position;                        // the position of its next token
    float[] logits;                       // its last logits: the next token comes from them

    Generation(PromptLayout layout, float[] embeds, GenerationProgress progress, Cancellation cancel, float coreNeurons,
               OrtSession.RunOptions options) {
        this.layout = layout;
        this.embeds = embeds;
        this.progress = progress;
        this.cancel = cancel;
        this.coreNeurons = coreNeurons;
        this.options = options;
        this.submittedNanos = System.nanoTime();
        this.position = layout.nextPosition();
        if (coreNeurons > 0f) {
            activations = new ArrayList<>();
        }
    }

    boolean core() {
        return coreNeurons > 0f;
    }

    /** Frees what it holds of the model's memory; safe to call more than once. */
    void release() {
        if (released) {
            return;
        }
        released = true;
        if (cache != null) {
            cache.close();
            cache = null;
        }
        if (coreWeights != null) {
            coreWeights.close();
            coreWeights = null;
        }
        past = null;
        activations = null;
        options.close();
    }
}
