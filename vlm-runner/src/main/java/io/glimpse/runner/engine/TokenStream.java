package io.glimpse.runner.engine;

/** Receives text as it is generated. */
@FunctionalInterface
public interface TokenStream {
    void onDelta(String text);
}
