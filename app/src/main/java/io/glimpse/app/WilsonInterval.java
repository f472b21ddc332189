package io.glimpse.app;

/** 95% Wilson score interval of a proportion. */
record WilsonInterval(double low, double high) {
    static WilsonInterval of(int hits, int n) {
        if (n == 0) {
            return new WilsonInterval(0, 1);
        }
        double z = 1.959964;
        double p = (double) hits / n;
        double denom = 1 + z * z / n;
        double centre = (p + z * z / (2.0 * n)) / denom;
        double half = z * Math.sqrt(p * (1 - p) / n + z * z / (4.0 * n * n)) / denom;
        return new WilsonInterval(Math.max(0, centre - half), Math.min(1, centre + half));
    }
}
