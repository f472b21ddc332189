package io.glimpse.runner.engine;

import java.util.List;

/**
 * The decode batch's keys-and-values memory and its decoder run: each step every member takes its
 * next token; a member new to the batch brings its prompt's past, one missing from it has left.
 */
interface DecodeBatch {
    /** One decoder run for {@code members}' next tokens; each member's {@code logits} are set, its length and position advance. */
    void step(List<Generation> members);

    /** Nothing decodes: the next step starts a new batch (memory worth keeping for it may stay). */
    void release();

    /** Frees all the batch's memory. */
    void free();
}
