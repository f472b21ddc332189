package io.glimpse.common.grpc;

import io.glimpse.common.error.GlimpseException;
import io.glimpse.proto.v1.Pruning;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * The shape limit of a pruning pipeline, checked without recursion before anything else reads it:
 * {@code then} nests, so a small message could otherwise describe a pipeline of millions of steps.
 */
public final class PruningPipeline {
    public static final int MAX_STEPS = 16;

    private PruningPipeline() {
    }

    /** Throws INVALID_ARGUMENT when the pipeline, counting every nested {@code then}, has more than {@link #MAX_STEPS} steps. */
    public static void check(Pruning p) {
        Deque<Pruning> todo = new ArrayDeque<>();
        todo.push(p);
        int steps = 0;
        while (!todo.isEmpty()) {
            Pruning s = todo.pop();
            if (++steps > MAX_STEPS) {
                throw GlimpseException.invalid("pruning pipeline has more than " + MAX_STEPS
                        + " steps (counting every nested pruning.then); at most " + MAX_STEPS + " are allowed");
            }
            s.getThenList().forEach(todo::push);
        }
    }
}
