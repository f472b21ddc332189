package io.glimpse.kernel;

/**
 * Whether this JVM resolved the incubating Vector API ({@code --add-modules jdk.incubator.vector}, as
 * {@code ./glimpse}, the service images and the tests start it). Without it the kernels take their
 * scalar forms, which give the same bits, only slower; a class that uses the API is loaded only
 * when this says it is there.
 */
public final class VectorApi {
    public static final boolean AVAILABLE = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();

    private VectorApi() {
    }

    /** One line for the start-up log. */
    public static String describe() {
        return AVAILABLE ? "Vector API, " + VectorGramTile.lanes() + " float lanes"
                : "scalar (start the JVM with --add-modules=jdk.incubator.vector for the Vector API)";
    }
}
