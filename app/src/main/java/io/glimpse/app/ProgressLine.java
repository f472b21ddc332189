package io.glimpse.app;

/** A one-line progress bar with ETA on a terminal; silent when output is not a terminal. */
final class ProgressLine {
    private final int total;
    private final long start = System.nanoTime();
    private final boolean terminal = System.console() != null;
    private int done;

    ProgressLine(int total) {
        this.total = total;
    }

    void step(String what) {
        done++;
        if (!terminal) {
            return;
        }
        double elapsed = (System.nanoTime() - start) / 1e9;
        double eta = done == 0 ? 0 : elapsed / done * (total - done);
        int width = 30;
        int filled = (int) Math.round(width * (double) done / total);
        System.err.printf("\r[%s%s] %3d%% %d/%d  ETA %dm%02ds  %-40.40s", "#".repeat(filled), ".".repeat(width - filled),
                100 * done / total, done, total, (int) eta / 60, (int) eta % 60, what);
        if (done == total) {
            System.err.println();
        }
    }
}
