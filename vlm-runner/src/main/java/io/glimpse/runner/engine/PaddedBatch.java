package io.glimpse.runner.engine;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtSession;
import io.glimpse.lm.LanguageModel;
import io.glimpse.lm.PaddedPast;
import io.glimpse.model.bundle.BundleConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * A decode batch over the merged decoder: rows left-padded to a common past with their own mask
 * and position. While the members stay the same the step's presents are fed straight back as the
 * next past; a join copies every member's past into a new padded batch once. An ended row stays,
 * masked to itself, until the next join: compacting costs a copy of every live row's past, more
 * than a few steps of a few spare rows.
 */
final class PaddedBatch implements DecodeBatch {
    private static final Logger LOG = LoggerFactory.getLogger(PaddedBatch.class);
    private final LanguageModel lm;
    private final BundleConfig config;
    private final List<Generation> rows = new ArrayList<>();   // null = a row whose generation left
    private OrtSession.Result batch;   // the last step's presents, one per row
    private int total;                 // the padded past length of that batch

    PaddedBatch(LanguageModel lm) {
        this.lm = lm;
        this.config = lm.config();
    }

    @Override
    public void step(List<Generation> members) {
        long t0 = System.nanoTime();
        List<Generation> joiners = RowSet.leaveAndJoin(rows, members);
        Map<String, OnnxTensor> past;
        Map<String, OnnxTensor> owned = null;
        if (batch == null || !joiners.isEmpty()) {
            List<PaddedPast.Source> sources = new ArrayList<>();
            List<Generation> next = new ArrayList<>();
            for (int i = 0; i < rows.size(); i++) {
                Generation g = rows.get(i);
                if (g != null) {
                    sources.add(batch == null ? PaddedPast.Source.of(g.past, g.length) : PaddedPast.Source.of(i, g.length));
                    next.add(g);
                }
            }
            for (Generation g : joiners) {
                sources.add(PaddedPast.Source.of(g.past, g.length));
                next.add(g);
            }
            int newTotal = next.stream().mapToInt(g -> g.length).max().orElse(0);
            owned = PaddedPast.rebuild(lm.environment(), config, batch, total, sources, newTotal);
            past = owned;
            closeBatch();
            rows.clear();
            rows.addAll(next);
            total = newTotal;
            rows.forEach(g -> g.past = null);
        } else {
            past = PaddedPast.asPast(batch, config);
        }
        int b = rows.size();
        long[] ids = new long[b];
        long[] positions = new long[b];
        long[] mask = new long[b * (total + 1)];
        for (int i = 0; i < b; i++) {
            Generation g = rows.get(i);
            if (g == null) {   // a row that left: attends to its own new token only
                mask[(i + 1) * (total + 1) - 1] = 1L;
                continue;
            }
            ids[i] = g.progress.last();
            positions[i] = g.position;
            Arrays.fill(mask, i * (total + 1) + total - g.length, (i + 1) * (total + 1), 1L);
        }
        long t1 = System.nanoTime();
        OrtSession.Result r;
        try {
            r = lm.step(lm.embed(ids), b, mask, positions, past, null);
        } finally {
            if (owned != null) {
                owned.values().forEach(OnnxTensor::close);
            }
        }
        closeBatch();   // its presents were this run's past
        batch = r;
        total += 1;
        RowSet.advance(rows, r);
        LOG.debug("decode step: {} rows, past {}, {}prepare {} ms, run {} ms", b, total - 1,
                joiners.isEmpty() ? "" : joiners.size() + " joined, ", (t1 - t0) / 1_000_000, (System.nanoTime() - t1) / 1_000_000);
    }

    @Override
    public void release() {
        closeBatch();
        rows.clear();
        total = 0;
    }

    @Override
    public void free() {
        release();
    }

    private void closeBatch() {
        if (batch != null) {
            batch.close();
            batch = null;
        }
    }
}
