package io.glimpse.runner.engine;

import ai.onnxruntime.OrtSession;
import io.glimpse.common.tensor.FloatTensor;
import io.glimpse.model.onnx.OrtTensors;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;

/** The row bookkeeping both decode batches share. */
final class RowSet {
    private RowSet() {
    }

    /** Marks the rows whose generation is not among {@code members} as left (null); returns the members new to the batch. */
    static List<Generation> leaveAndJoin(List<Generation> rows, List<Generation> members) {
        Set<Generation> wanted = Collections.newSetFromMap(new IdentityHashMap<>());
        wanted.addAll(members);
        Set<Generation> present = Collections.newSetFromMap(new IdentityHashMap<>());
        for (int i = 0; i < rows.size(); i++) {
            Generation g = rows.get(i);
            if (g != null && !wanted.contains(g)) {
                rows.set(i, null);
            } else if (g != null) {
                present.add(g);
            }
        }
        List<Generation> joiners = new ArrayList<>();
        for (Generation g : members) {
            if (!present.contains(g)) {
                joiners.add(g);
            }
        }
        return joiners;
    }

    /** Each live row takes its logits from a step's result and moves on one token. */
    static void advance(List<Generation> rows, OrtSession.Result r) {
        FloatTensor logits = OrtTensors.read(r.get("logits").orElseThrow());
        int vocab = logits.dim(logits.rank() - 1);
        for (int i = 0; i < rows.size(); i++) {
            Generation g = rows.get(i);
            if (g != null) {
                g.logits = java.util.Arrays.copyOfRange(logits.data(), i * vocab, (i + 1) * vocab);
                g.length += 1;
                g.position += 1;
            }
        }
    }
}
