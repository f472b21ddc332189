package io.glimpse.pruner.select;

/** Token selection methods (ALGORITHMS.md §2-3). */
public enum PruningMethod {
    NONE, RANDOM, UNIFORM, ZERO_TPRUNE, CORE_MATCHING, QUOTA, TOME, FASTV, VISIONZIP, DIVPRUNE
}
