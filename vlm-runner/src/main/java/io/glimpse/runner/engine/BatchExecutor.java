package io.glimpse.runner.engine;

import io.glimpse.common.methods.PruningMethods;
import io.glimpse.common.tensor.FloatTensor;
import io.glimpse.lm.CoreNeurons;
import io.glimpse.lm.LanguageModel;
import io.glimpse.model.bundle.BundleConfig;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Owns the keys-and-values memory and every ONNX Runtime call of the runner; all generations go
 * through it. A prompt prefills in chunks into the generation's own cache; then it joins the decode
 * batch (a lone generation is a batch of one), whose memory is a {@link SlabBatch} when the bundle
 * has a static-cache decoder and a {@link PaddedBatch} otherwise. A core-neuron generation decodes
 * over its own gathered FFN rows (CoreMatching's neuron half), so it runs as its own batch of one.
 */
final class BatchExecutor {
    /** CoreMatching's per-token share of positive activations (the method's default, as the pruner's). */
    private static final double CORE_RHO = PruningMethods.of("CORE_MATCHING").param("rho").defaultNumber();
    /** An idle runner keeps its keys-and-values slab this long for the next batch. */
    private static final long SLAB_IDLE_NANOS = TimeUnit.SECONDS.toNanos(5);

    private final LanguageModel lm;
    private final BundleConfig config;
    private final DecodeBatch batch;
    private final AtomicLong decodeSteps;
    private long idleSince = System.nanoTime();

    BatchExecutor(LanguageModel lm, int maxRows, AtomicLong decodeSteps) {
        this.lm = lm;
        this.config = lm.config();
        this.batch = lm.hasStaticCache() ? new SlabBatch(lm, maxRows) : new PaddedBatch(lm);
        this.decodeSteps = decodeSteps;
    }

    /**
     * Runs prompt tokens [from, to) of {@code g} after what its cache holds; after the last chunk its
     * {@code logits} give the first token and (dense decoding) its past is ready to join the batch.
     */
    void prefill(Generation g, int from, int to) {
        if (g.cache == null) {
            g.cache = lm.newCache();
        }
        int h = config.hiddenSize();
        float[] embeds = Arrays.copyOfRange(g.embeds, from * h, to * h);
        long[] positions = Arrays.copyOfRange(g.layout.positions(), from, to);
        FloatTensor logits;
        if (g.core()) {
            LanguageModel.CoreStep step = lm.forwardCore(embeds, positions, g.cache, lm.fullFfn(), true, g.options);
            g.activations.add(step.activations());
            logits = step.logits();
        } else {
            logits = lm.forward(embeds, positions, g.cache, g.options);
        }
        g.length = to;
        if (to == g.layout.length()) {
            g.logits = lastRow(logits);
            if (!g.core()) {
                g.past = g.cache.export(config);
                g.cache.close();
                g.cache = null;
            }
        }
    }

    /** Every member's next token: the dense ones as one batch, each core-neuron one on its own. */
    void decode(List<Generation> members) {
        List<Generation> dense = new ArrayList<>();
        for (Generation g : members) {
            if (!g.core()) {
                dense.add(g);
            }
        }
        if (dense.isEmpty()) {
            batch.release();
        } else {
            try {
                batch.step(dense);
            } catch (RuntimeException e) {
                dropBatch();   // what a failed step left in its memory is not reused
                throw e;
            }
            decodeSteps.addAndGet(dense.size());
        }
        idleSince = System.nanoTime();
    }

    /** One decode step of a core-neuron generation over its core neurons (found at its first step). */
    void decodeCore(Generation g) {
        if (g.coreWeights == null) {
            g.coreWeights = lm.ffn().gather(coreNeurons(g));
            g.activations = null;
        }
        g.logits = lastRow(lm.forwardCore(lm.embed(new long[]{g.progress.last()}), new long[]{g.position}, g.cache,
                g.coreWeights.tensors(), false, g.options).logits());
        g.position++;
        g.length++;
        decodeSteps.incrementAndGet();
    }

    /**
     * Each layer's core neurons: per prompt token its top {@code rho} share of positive activations,
     * then the {@code beta} share most often among them.
     */
    private int[][] coreNeurons(Generation g) {
        int layers = config.numLayers();
        int[][] kept = new int[layers][];
        for (int l = 0; l < layers; l++) {
            int rows = 0;
            int width = g.activations.get(0)[l].dim(1);
            for (FloatTensor[] chunk : g.activations) {
                rows += chunk[l].dim(0);
            }
            float[] all = new float[rows * width];
            int at = 0;
            for (FloatTensor[] chunk : g.activations) {
                float[] d = chunk[l].data();
                System.arraycopy(d, 0, all, at, d.length);
                at += d.length;
            }
            kept[l] = CoreNeurons.indices(CoreNeurons.select(all, rows, width, CORE_RHO, g.coreNeurons));
        }
        return kept;
    }

    /** Nothing to run: after a few idle seconds the batch's memory goes. */
    void idle() {
        batch.release();
        if (System.nanoTime() - idleSince > SLAB_IDLE_NANOS) {
            dropBatch();
        }
    }

    private void dropBatch() {
        batch.free();
    }

    static float[] lastRow(FloatTensor logits) {
        int vocab = logits.dim(1);
        return Arrays.copyOfRange(logits.data(), (logits.dim(0) - 1) * vocab, logits.dim(0) * vocab);
    }
}
