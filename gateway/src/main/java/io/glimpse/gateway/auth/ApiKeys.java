package io.glimpse.gateway.auth;

import io.glimpse.common.error.GlimpseException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The gateway's API keys, from a file that stores only their SHA-256 hashes, one key a line:
 * <pre>
 * # id     hash                  limits (optional; defaults shown)
 * alice    sha256:5e8848...      rate=10 burst=20 budget=100000/60s allow=min_new_tokens
 * </pre>
 * The file is read again when its contents change (checked at most once a second), so keys are
 * added, changed and revoked without a restart. A file that does not parse keeps the last good set.
 */
public final class ApiKeys {
    private static final Logger LOG = LoggerFactory.getLogger(ApiKeys.class);
    public static final double DEFAULT_RATE = 10;
    public static final int DEFAULT_BURST = 20;
    public static final double DEFAULT_BUDGET = 100_000;
    public static final Duration DEFAULT_WINDOW = Duration.ofSeconds(60);
    private static final long CHECK_NANOS = 1_000_000_000L;

    private final Path file;
    private volatile Map<String, ApiKey> byHash;
    private volatile String loadedDigest;
    private volatile long checkedAt;

    private ApiKeys(Path file) {
        this.file = file;
        reload(true);
    }

    /** Reads the key file; a missing or malformed file at start-up is an error naming the line. */
    public static ApiKeys load(Path file) {
        return new ApiKeys(file);
    }

    /** The key whose hash matches {@code presented}, or null (unknown or revoked). */
    public ApiKey authenticate(String presented) {
        if (System.nanoTime() - checkedAt > CHECK_NANOS) {
            reload(false);
        }
        return byHash.get(hash(presented));
    }

    public int size() {
        return byHash.size();
    }

    private synchronized void reload(boolean first) {
        checkedAt = System.nanoTime();
        try {
            // contents, not modification times: a Secret's file is swapped through a symlink
            byte[] bytes = Files.readAllBytes(file);
            String digest = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
            if (!first && digest.equals(loadedDigest)) {
                return;
            }
            Map<String, ApiKey> keys = parse(List.of(new String(bytes, StandardCharsets.UTF_8).split("\n")));
            byHash = keys;
            loadedDigest = digest;
            LOG.info("API keys: {} loaded from {}", keys.size(), file);
        } catch (IOException | GlimpseException | NoSuchAlgorithmException e) {
            if (first) {
                throw new IllegalArgumentException("cannot load API keys from " + file + ": " + e.getMessage(), e);
            }
            LOG.warn("API keys: keeping the last good set; {} does not load: {}", file, e.getMessage());
        }
    }

    static Map<String, ApiKey> parse(List<String> lines) {
        Map<String, ApiKey> out = new HashMap<>();
        for (int n = 0; n < lines.size(); n++) {
            String line = lines.get(n).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] f = line.split("\\s+");
            String where = "line " + (n + 1) + ": ";
            if (f.length < 2 || !f[1].startsWith("sha256:") || f[1].length() != 7 + 64) {
                throw GlimpseException.invalid(where + "expected 'ID sha256:<64 hex digits> [limits]'");
            }
            double rate = DEFAULT_RATE;
            int burst = DEFAULT_BURST;
            double budget = DEFAULT_BUDGET;
            Duration window = DEFAULT_WINDOW;
            Set<String> allow = Set.of();
            for (int i = 2; i < f.length; i++) {
                String[] kv = f[i].split("=", 2);
                try {
                    switch (kv.length == 2 ? kv[0] : "") {
                        case "rate" -> rate = Double.parseDouble(kv[1]);
                        case "burst" -> burst = Integer.parseInt(kv[1]);
                        case "budget" -> {
                            String[] bw = kv[1].split("/", 2);
                            budget = Double.parseDouble(bw[0]);
                            window = bw.length == 2 ? Duration.ofSeconds(Long.parseLong(bw[1].replaceAll("s$", ""))) : window;
                        }
                        case "allow" -> allow = Arrays.stream(kv[1].split(",")).map(String::strip)
                                .filter(s -> !s.isEmpty()).collect(Collectors.toUnmodifiableSet());
                        default -> throw GlimpseException.invalid(where + "unknown setting '" + f[i]
                                + "' (rate=, burst=, budget=UNITS/SECONDSs, allow=)");
                    }
                } catch (NumberFormatException e) {
                    throw GlimpseException.invalid(where + "'" + f[i] + "' is not a number");
                }
            }
            if (!(rate > 0) || burst < 1 || !(budget > 0) || window.isZero() || window.isNegative()) {
                throw GlimpseException.invalid(where + "rate, burst, budget and window must be positive");
            }
            String hash = f[1].substring(7).toLowerCase(java.util.Locale.ROOT);
            if (out.put(hash, new ApiKey(f[0], rate, burst, budget, window, allow)) != null) {
                throw GlimpseException.invalid(where + "the same key hash appears twice");
            }
        }
        return Map.copyOf(out);
    }

    /** SHA-256 of a key, lowercase hex: what the key file stores. */
    public static String hash(String key) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }

    /** A new random key (32 bytes, URL-safe base64 without padding). */
    public static String newKey() {
        byte[] b = new byte[32];
        new SecureRandom().nextBytes(b);
        return "gk_" + java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }
}
