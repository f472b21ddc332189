package io.glimpse.gateway.auth;

import java.time.Duration;
import java.util.Set;

/**
 * One client's key, as the key file describes it (only a hash of the key itself is stored).
 *
 * @param id          names the client in logs and metrics (never the key)
 * @param rate        requests per second, sustained
 * @param burst       requests allowed at once above the rate
 * @param costBudget  cost units (docs/security.md) per {@code window}
 * @param window      the budget's period
 * @param allowed     features beyond the defaults this key may use (e.g. {@code min_new_tokens})
 */
public record ApiKey(String id, double rate, int burst, double costBudget, Duration window, Set<String> allowed) {
    public static final String ALL = "*";

    public boolean allows(String feature) {
        return allowed.contains(feature) || allowed.contains(ALL);
    }
}
