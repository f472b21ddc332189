package io.glimpse.shapes;

import java.nio.file.Path;

/** Plain entry point for the training script: {@code GenerateMain COUNT SEED OUT_DIR}. */
public final class GenerateMain {
    private GenerateMain() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 3) {
            System.err.println("usage: GenerateMain COUNT SEED OUT_DIR");
            System.exit(2);
        }
        int count = Integer.parseInt(args[0]);
        long seed = Long.parseLong(args[1]);
        DatasetWriter.write(new ShapesVqaGenerator(seed), count, seed, Path.of(args[2]));
    }
}
