package io.glimpse.gateway.http;

import io.glimpse.common.admission.BoundedAdmission;
import io.glimpse.common.admission.ByteBudget;
import io.glimpse.common.error.GlimpseException;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.Scheduler;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Reads every request body before a request thread touches it, without holding a thread while the
 * bytes arrive: a client that trickles its body costs a buffer, not a thread. While reading it
 * enforces what a blocking parse could not:
 * <ul>
 *   <li>the body limit on the bytes actually read, whatever the framing (chunked or not) — 413,
 *       and nothing past the limit is read;</li>
 *   <li>the in-flight body budget charged for bytes received (in 4 KiB steps), not for a declared
 *       length, so a stalled upload holds only what it sent — 429 when the budget is spent;</li>
 *   <li>a deadline for the whole body — 408, and the connection is closed.</li>
 * </ul>
 * Every response carries an {@code x-request-id}, which the access log repeats.
 */
final class BodyGate extends Handler.Wrapper {
    static final String REQUEST_ID = "glimpse.request-id";
    private static final long CHARGE_STEP = 4 << 10;
    private static final Duration RETRY_AFTER = Duration.ofSeconds(1);

    private final long maxBodyBytes;
    private final ByteBudget budget;
    private final Duration bodyTimeout;

    BodyGate(long maxBodyBytes, ByteBudget budget, Duration bodyTimeout) {
        this.maxBodyBytes = maxBodyBytes;
        this.budget = budget;
        this.bodyTimeout = bodyTimeout;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        String id = "req_" + UUID.randomUUID().toString().replace("-", "");
        request.setAttribute(REQUEST_ID, id);
        response.getHeaders().put("x-request-id", id);
        long declared = request.getLength();
        if (declared > maxBodyBytes) {
            refuse(response, callback, new HttpApiException(413, "invalid_request_error", "request body is " + declared
                    + " bytes; the limit is " + maxBodyBytes + " (--http-max-body-bytes)", null, "request_too_large", 0));
            return true;
        }
        new BodyReader(request, response, callback, declared).start();
        return true;
    }

    /** Writes a refusal in the API's shape and closes the connection (its unread body is abandoned). */
    static void refuse(Response response, Callback callback, HttpApiException e) {
        byte[] body = JsonErrorHandler.body(e);
        response.setStatus(e.status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        response.getHeaders().put(HttpHeader.CONNECTION, "close");
        if (e.retryAfterSeconds > 0) {
            response.getHeaders().put(HttpHeader.RETRY_AFTER, Long.toString(e.retryAfterSeconds));
        }
        response.write(true, ByteBuffer.wrap(body), callback);
    }

    private final class BodyReader implements Runnable {
        private final Request request;
        private final Response response;
        private final Callback callback;
        private final ByteArrayOutputStream body;
        private final List<BoundedAdmission.Permit> charges = new ArrayList<>();
        private final AtomicBoolean settled = new AtomicBoolean();
        private long charged;
        private Scheduler.Task deadline;

        BodyReader(Request request, Response response, Callback callback, long declared) {
            this.request = request;
            this.response = response;
            this.callback = callback;
            this.body = new ByteArrayOutputStream((int) Math.max(0, Math.min(declared, CHARGE_STEP)));
        }

        void start() {
            deadline = request.getComponents().getScheduler().schedule(() -> stop(new HttpApiException(408, "timeout_error",
                    "the request body did not arrive within " + bodyTimeout.toSeconds() + " s; send it whole and promptly",
                    null, "request_timeout", 0)), bodyTimeout.toMillis(), TimeUnit.MILLISECONDS);
            run();
        }

        /** Reads what has arrived; asks to be called again when more does. Runs on a pool thread, briefly. */
        @Override
        public void run() {
            while (!settled.get()) {
                Content.Chunk chunk = request.read();
                if (chunk == null) {
                    request.demand(this);
                    return;
                }
                if (Content.Chunk.isFailure(chunk)) {
                    // the connection's idle timeout or a reset: the caller is gone or stalled
                    stop(new HttpApiException(408, "timeout_error", "the request body stopped arriving", null,
                            "request_timeout", 0));
                    return;
                }
                try {
                    ByteBuffer b = chunk.getByteBuffer();
                    int n = b.remaining();
                    if (body.size() + (long) n > maxBodyBytes) {
                        stop(new HttpApiException(413, "invalid_request_error", "request body is larger than "
                                + maxBodyBytes + " bytes (--http-max-body-bytes)", null, "request_too_large", 0));
                        return;
                    }
                    if (!charge(body.size() + (long) n)) {
                        return;
                    }
                    if (b.hasArray()) {
                        body.write(b.array(), b.arrayOffset() + b.position(), n);
                    } else {
                        byte[] copy = new byte[n];
                        b.get(copy);
                        body.write(copy, 0, n);
                    }
                } finally {
                    chunk.release();
                }
                if (chunk.isLast()) {
                    dispatch();
                    return;
                }
            }
        }

        /** Charges the budget up to {@code bytes} received; false (and the request refused) when it is spent. */
        private boolean charge(long bytes) {
            while (charged < bytes) {
                long step = Math.min(CHARGE_STEP, Math.max(1, maxBodyBytes - charged));
                try {
                    charges.add(budget.reserve(step, RETRY_AFTER));
                    charged += step;
                } catch (GlimpseException e) {
                    stop(new HttpApiException(429, "rate_limit_error", "the HTTP API holds its in-flight body budget"
                            + " (--http-max-in-flight-body-bytes); retry in " + RETRY_AFTER.toSeconds() + " s", null,
                            "resource_exhausted", RETRY_AFTER.toSeconds()));
                    return false;
                }
            }
            return true;
        }

        private void release() {
            synchronized (charges) {
                charges.forEach(BoundedAdmission.Permit::close);
                charges.clear();
            }
        }

        private void stop(HttpApiException e) {
            if (settled.compareAndSet(false, true)) {
                deadline.cancel();
                release();
                refuse(response, callback, e);
            }
        }

        /** The body is whole: the API handles it, and the budget is held until the response is done. */
        private void dispatch() {
            if (!settled.compareAndSet(false, true)) {
                return;
            }
            deadline.cancel();
            Callback done = new Callback.Nested(callback) {
                @Override
                public void succeeded() {
                    release();
                    super.succeeded();
                }

                @Override
                public void failed(Throwable x) {
                    release();
                    super.failed(x);
                }
            };
            Request whole = new WholeBody(request, body.toByteArray());
            try {
                if (!getHandler().handle(whole, response, done)) {
                    Response.writeError(whole, response, done, 404);
                }
            } catch (Throwable t) {
                Response.writeError(whole, response, done, t);
            }
        }
    }

    /** The request with its body already read: the API reads it from memory. */
    private static final class WholeBody extends Request.Wrapper {
        private final byte[] body;
        private boolean read;

        WholeBody(Request request, byte[] body) {
            super(request);
            this.body = body;
        }

        @Override
        public synchronized Content.Chunk read() {
            if (read) {
                return Content.Chunk.EOF;
            }
            read = true;
            return Content.Chunk.from(ByteBuffer.wrap(body), true);
        }

        @Override
        public void demand(Runnable more) {
            more.run();   // the body is all here
        }

        @Override
        public void fail(Throwable failure) {
            // nothing is left to read
        }
    }
}
