package io.glimpse.runner.engine;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtSession;
import io.glimpse.lm.KvSlab;
import io.glimpse.lm.LanguageModel;
import io.glimpse.model.bundle.BundleConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * A decode batch with its keys and values in place ({@code decoder_model_static.onnx}): a join
 * moves the live rows to the front and writes each joiner's past into its row; a step reads the
 * rows through tensors over the slab and only the new token's keys and values are written back.
 * Nothing copies the batch's past per step, and a join costs the joiners' own pasts only.
 */
final class SlabBatch implements DecodeBatch {
    private static final Logger LOG = LoggerFactory.getLogger(SlabBatch.class);
    private final LanguageModel lm;
    private final BundleConfig config;
    private final int maxRows;
    private final List<Generation> rows = new ArrayList<>();   // null = a row whose generation left
    private KvSlab slab;

    SlabBatch(LanguageModel lm, int maxRows) {
        this.lm = lm;
        this.config = lm.config();
        this.maxRows = maxRows;
    }

    @Override
    public void step(List<Generation> members) {
        long t0 = System.nanoTime();
        List<Generation> joiners = RowSet.leaveAndJoin(rows, members);
        if (slab == null) {
            slab = new KvSlab(lm.environment(), config.numLayers(), config.numKvHeads(), config.headDim(), maxRows,
                    config.maxPositions() + 1);
        }
        int longest = 0;
        for (Generation g : members) {
            longest = Math.max(longest, g.length);
        }
        if (!joiners.isEmpty()) {
            List<Generation> next = new ArrayList<>();
            for (int i = 0; i < rows.size(); i++) {
                Generation g = rows.get(i);
                if (g != null) {
                    if (next.size() != i) {
                        slab.move(i, next.size(), g.length);
                    }
                    next.add(g);
                }
            }
            slab.ensure(next.size() + joiners.size(), longest + 1, next.size(), longest);
            for (Generation g : joiners) {
                slab.write(next.size(), g.past, g.length);
                g.past = null;
                next.add(g);
            }
            rows.clear();
            rows.addAll(next);
        } else {
            slab.ensure(rows.size(), longest + 1, rows.size(), longest);
        }
        int b = rows.size();
        int cap = slab.capacity();
        long[] ids = new long[b];
        long[] positions = new long[b];
        long[] mask = new long[b * (cap + 1)];
        int[] slots = new int[b];
        for (int i = 0; i < b; i++) {
            Generation g = rows.get(i);
            mask[i * (cap + 1) + cap] = 1L;   // every row attends to its new token
            if (g == null) {
                slots[i] = -1;
                continue;
            }
            ids[i] = g.progress.last();
            positions[i] = g.position;
            Arrays.fill(mask, i * (cap + 1), i * (cap + 1) + g.length, 1L);
            slots[i] = g.length;
        }
        long t1 = System.nanoTime();
        Map<String, OnnxTensor> past = slab.past(b);
        OrtSession.Result r;
        try {
            r = lm.stepInPlace(lm.embed(ids), b, mask, positions, past, null);
        } finally {
            past.values().forEach(OnnxTensor::close);
        }
        try (r) {
            FloatBuffer[] fresh = new FloatBuffer[2 * config.numLayers()];
            for (int k = 0; k < fresh.length; k++) {
                String name = "new." + (k / 2) + (k % 2 == 0 ? ".key" : ".value");
                fresh[k] = ((OnnxTensor) r.get(name).orElseThrow(() -> new IllegalStateException("decoder has no " + name)))
                        .getFloatBuffer();
            }
            slab.append(fresh, slots);
            RowSet.advance(rows, r);
        }
        LOG.debug("decode step in place: {} rows, capacity {}, {}prepare {} ms, run {} ms", b, cap,
                joiners.isEmpty() ? "" : joiners.size() + " joined, ", (t1 - t0) / 1_000_000, (System.nanoTime() - t1) / 1_000_000);
    }

    @Override
    public void release() {
        // the slab itself stays for the next batch (allocating and zeroing it per request cost a lone
        // generation up to half its throughput on the bench model); the executor drops it when idle
        rows.clear();
    }

    @Override
    public void free() {
        rows.clear();
        slab = null;
    }
}
