package io.glimpse.app;

/** A clip length as the CLI takes it: {@code N} or {@code MIN-MAX} frames. */
record FrameRange(int min, int max) {

    static FrameRange parse(String text) {
        try {
            int dash = text.indexOf('-');
            if (dash < 0) {
                int n = Integer.parseInt(text.trim());
                return new FrameRange(n, n);
            }
            return new FrameRange(Integer.parseInt(text.substring(0, dash).trim()),
                    Integer.parseInt(text.substring(dash + 1).trim()));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--frames takes N or MIN-MAX (e.g. 8 or 4-8), got '" + text + "'");
        }
    }

    @Override
    public String toString() {
        return min == max ? Integer.toString(min) : min + "-" + max;
    }
}
