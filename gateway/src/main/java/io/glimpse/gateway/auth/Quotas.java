package io.glimpse.gateway.auth;

import io.glimpse.common.error.GlimpseException;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Per key: a token bucket of requests (rate, burst) and one of cost units (the budget, refilled
 * evenly over its window). A request reserves its worst-case cost at admission, known from what it
 * asks for; what it did not spend comes back when it ends. A key over either limit is refused with
 * RESOURCE_EXHAUSTED and the time until it would fit, while every other key is served as before.
 */
public final class Quotas {
    /** What an admitted request reserved; {@link #settle} returns what it did not use. */
    public interface Charge {
        void settle(double actualCost);
    }

    private final Map<String, Buckets> keys = new ConcurrentHashMap<>();

    public Charge admit(ApiKey key, double cost) {
        if (cost > key.costBudget()) {
            throw new GlimpseException(GlimpseException.Kind.INVALID_ARGUMENT, "this request may cost " + Math.round(cost)
                    + " units, more than key " + key.id() + "'s whole budget of " + Math.round(key.costBudget()) + " per "
                    + key.window().toSeconds() + " s; ask for fewer visual tokens or max_new_tokens");
        }
        Buckets b = keys.compute(key.id(), (id, old) -> old == null || !old.key.equals(key) ? new Buckets(key) : old);
        return b.take(cost);
    }

    private static final class Buckets {
        final ApiKey key;
        double requests;
        double units;
        long at = System.nanoTime();

        Buckets(ApiKey key) {
            this.key = key;
            this.requests = key.burst();
            this.units = key.costBudget();
        }

        synchronized Charge take(double cost) {
            long now = System.nanoTime();
            double seconds = (now - at) / 1e9;
            at = now;
            requests = Math.min(key.burst(), requests + seconds * key.rate());
            double perSecond = key.costBudget() / key.window().toSeconds();
            units = Math.min(key.costBudget(), units + seconds * perSecond);
            if (requests < 1) {
                Duration wait = Duration.ofMillis((long) Math.ceil((1 - requests) / key.rate() * 1000));
                throw GlimpseException.exhausted("key " + key.id() + " is over its rate of " + key.rate()
                        + " requests/s; retry in " + wait.toMillis() + " ms", wait);
            }
            if (units < cost) {
                Duration wait = Duration.ofMillis((long) Math.ceil((cost - units) / perSecond * 1000));
                throw GlimpseException.exhausted("key " + key.id() + " is over its budget of " + Math.round(key.costBudget())
                        + " cost units per " + key.window().toSeconds() + " s; retry in " + wait.toMillis() + " ms", wait);
            }
            requests -= 1;
            units -= cost;
            return actual -> refund(cost - Math.max(0, Math.min(actual, cost)));
        }

        synchronized void refund(double unused) {
            units = Math.min(key.costBudget(), units + unused);
        }
    }
}
