package io.glimpse.pruner.select;

/** Token selection methods (docs/design/methods.md). */
public enum PruningMethod {
    NONE, RANDOM, UNIFORM, ZERO_TPRUNE, CORE_MATCHING, QUOTA, TOME, FASTV, VISIONZIP, DIVPRUNE
}
