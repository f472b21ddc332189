package io.glimpse.tokenizer.encode;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.glimpse.common.error.GlimpseException;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The bundle's monotone map from the complexity proxy to a token count ({@code config.json:
 * complexity_calibration}), fitted offline on training images: complexity bins (upper edges), and
 * per bin and candidate count the measured fidelity (share of samples whose answer with that many
 * tokens equals the full-token answer). ADAPTIVE(q) takes the smallest count whose fidelity in the
 * image's bin reaches q, else the largest allowed; images beyond the last edge use the last bin.
 * For {@code pooled} the last count is the whole grid (fidelity 1).
 *
 * @param tokens "registers" (FlexTok prefixes) or "pooled" (n x n TokenFLEX cells)
 */
public record ComplexityCalibration(String proxy, String tokens, int[] counts, double[] edges, double[][] fidelity) {
    public static final String PROXY = "canny_edge_density";

    /** A choice: count, its table fidelity, and the candidate counts inside the caller's bounds. */
    public record Choice(int count, float fidelity, int[] considered) {
    }

    public static ComplexityCalibration parse(JsonNode n) {
        if (n == null || n.isMissingNode() || n.isNull()) {
            return null;
        }
        try {
            int[] counts = new int[n.path("counts").size()];
            for (int i = 0; i < counts.length; i++) {
                counts[i] = n.path("counts").get(i).asInt();
            }
            double[] edges = new double[n.path("edges").size()];
            for (int i = 0; i < edges.length; i++) {
                edges[i] = n.path("edges").get(i).asDouble();
            }
            double[][] fid = new double[edges.length][counts.length];
            for (int b = 0; b < edges.length; b++) {
                for (int c = 0; c < counts.length; c++) {
                    fid[b][c] = n.path("fidelity").get(b).get(c).asDouble();
                }
            }
            String proxy = n.path("proxy").asText();
            if (!PROXY.equals(proxy)) {
                throw GlimpseException.precondition("config.json complexity_calibration.proxy is \"" + proxy
                        + "\"; this build computes " + PROXY);
            }
            if (counts.length == 0 || edges.length == 0) {
                throw GlimpseException.precondition("config.json complexity_calibration needs counts and edges");
            }
            return new ComplexityCalibration(proxy, n.path("tokens").asText("registers"), counts, edges, fid);
        } catch (NullPointerException e) {
            throw GlimpseException.precondition("config.json complexity_calibration.fidelity must be [edges][counts]");
        }
    }

    public int bin(double complexity) {
        for (int b = 0; b < edges.length; b++) {
            if (complexity <= edges[b]) {
                return b;
            }
        }
        return edges.length - 1;
    }

    public Choice choose(double complexity, float target, int min, int max) {
        int b = bin(complexity);
        List<Integer> considered = new ArrayList<>();
        int chosen = -1;
        float fid = 0f;
        for (int c = 0; c < counts.length; c++) {
            if (counts[c] < min || counts[c] > max) {
                continue;
            }
            considered.add(counts[c]);
            if (chosen < 0 && fidelity[b][c] >= target) {
                chosen = counts[c];
                fid = (float) fidelity[b][c];
            }
        }
        if (chosen < 0) {
            if (considered.isEmpty()) {
                throw GlimpseException.invalid("no calibrated token count lies in [" + min + ", " + max + "]; the bundle offers "
                        + Arrays.toString(counts));
            }
            chosen = considered.get(considered.size() - 1);
            fid = (float) fidelity[b][indexOf(chosen)];
        }
        return new Choice(chosen, fid, considered.stream().mapToInt(Integer::intValue).toArray());
    }

    private int indexOf(int count) {
        for (int c = 0; c < counts.length; c++) {
            if (counts[c] == count) {
                return c;
            }
        }
        return -1;
    }

    /**
     * Fits the table: bins at complexity quantiles, fidelity per bin and count, then made monotone
     * (non-decreasing in the count, non-increasing with complexity) so a busier image never gets
     * fewer tokens for the same target.
     *
     * @param agree [sample][count]: the answer with that count equals the full-token answer
     */
    public static ComplexityCalibration fit(String tokens, int[] counts, double[] complexity, boolean[][] agree, int bins) {
        int n = complexity.length;
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Double.compare(complexity[a], complexity[b]));
        double[] edges = new double[bins];
        double[][] fid = new double[bins][counts.length];
        for (int b = 0; b < bins; b++) {
            int from = b * n / bins;
            int to = (b + 1) * n / bins;
            edges[b] = b == bins - 1 ? Double.MAX_VALUE : complexity[order[to - 1]];
            for (int c = 0; c < counts.length; c++) {
                int hits = 0;
                for (int i = from; i < to; i++) {
                    hits += agree[order[i]][c] ? 1 : 0;
                }
                fid[b][c] = (double) hits / Math.max(1, to - from);
            }
        }
        for (int b = 0; b < bins; b++) {
            for (int c = 1; c < counts.length; c++) {
                fid[b][c] = Math.max(fid[b][c], fid[b][c - 1]);
            }
        }
        for (int b = 1; b < bins; b++) {
            for (int c = 0; c < counts.length; c++) {
                fid[b][c] = Math.min(fid[b][c], fid[b - 1][c]);
            }
        }
        return new ComplexityCalibration(PROXY, tokens, counts, edges, fid);
    }

    public ObjectNode toJson() {
        ObjectMapper m = new ObjectMapper();
        ObjectNode o = m.createObjectNode();
        o.put("proxy", proxy);
        o.put("tokens", tokens);
        ArrayNode c = o.putArray("counts");
        Arrays.stream(counts).forEach(c::add);
        ArrayNode e = o.putArray("edges");
        for (double v : edges) {
            e.add(v == Double.MAX_VALUE ? 1e9 : Math.round(v * 1e4) / 1e4);
        }
        ArrayNode f = o.putArray("fidelity");
        for (double[] row : fidelity) {
            ArrayNode r = f.addArray();
            for (double v : row) {
                r.add(Math.round(v * 1e4) / 1e4);
            }
        }
        return o;
    }
}
