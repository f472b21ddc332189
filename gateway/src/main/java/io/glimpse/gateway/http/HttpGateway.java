package io.glimpse.gateway.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.glimpse.common.admission.ByteBudget;
import io.glimpse.common.grpc.StatusMapping;
import io.glimpse.common.server.TlsFiles;
import io.glimpse.gateway.auth.ApiKeys;
import io.glimpse.gateway.chain.GatewayLimits;
import io.glimpse.gateway.grpc.AccessLogInterceptor;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.glimpse.proto.v1.AskEvent;
import io.glimpse.proto.v1.AskResponse;
import io.glimpse.proto.v1.DescribeRequest;
import io.glimpse.proto.v1.GlimpseGrpc;
import io.glimpse.proto.v1.ServiceInfo;
import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.stub.MetadataUtils;
import io.javalin.Javalin;
import io.javalin.compression.CompressionStrategy;
import io.javalin.http.staticfiles.Location;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Iterator;
import java.util.UUID;

/**
 * The gateway's HTTP face: OpenAI-compatible {@code POST /v1/chat/completions} (JSON or
 * server-sent events), {@code GET /v1/models} (the metadata call) and the token explorer page at
 * {@code /}. Every call goes through the gateway's own gRPC API over an in-process channel with
 * the caller's {@code Authorization} header, so HTTP and gRPC share one validation, one set of
 * keys and quotas, one admission and one access log.
 */
public final class HttpGateway implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(HttpGateway.class);
    private static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
    private static final long MODEL_CACHE_NANOS = Duration.ofSeconds(30).toNanos();

    private final HttpApiConfig config;
    private final ManagedChannel channel;
    private final ByteBudget bodies;
    private final ImageSources images;
    private final Javalin app;
    private final String scheme;
    private volatile String servedModel;
    private volatile long servedModelAt;

    private final HeaderDeadline headerDeadline;
    private final int maxNewTokensCap;

    private HttpGateway(HttpApiConfig config, String bind, TlsFiles tls, String gatewayInProcessName, GatewayLimits limits,
                        ApiKeys keys, MeterRegistry meters) {
        org.eclipse.jetty.server.Server[] jetty = new org.eclipse.jetty.server.Server[1];   // Javalin makes it
        this.config = config;
        this.maxNewTokensCap = limits.maxNewTokensCap();
        this.channel = InProcessChannelBuilder.forName(gatewayInProcessName).maxInboundMessageSize(64 << 20).build();
        this.bodies = new ByteBudget("the HTTP API", config.maxInFlightBodyBytes());
        this.images = new ImageSources(config.imageHosts(), limits.maxImageBytes(), config.fetchTimeout());
        this.scheme = tls == null ? "http" : "https";
        // requests beyond the gateway's in-flight limit are refused by it at once; the rest is
        // headroom for the page, /v1/models and Jetty's own selector and acceptor threads
        QueuedThreadPool threads = new QueuedThreadPool(limits.maxInFlight() + 16, 4);
        threads.setName("gateway-http");
        this.app = Javalin.create(cfg -> {
            cfg.startup.showJavalinBanner = false;
            cfg.startup.showOldJavalinVersionWarning = false;
            cfg.http.maxRequestSize = config.maxBodyBytes();
            cfg.http.compressionStrategy = CompressionStrategy.NONE;   // events must leave as they are written
            cfg.jetty.threadPool = threads;
            cfg.jetty.host = bind;
            cfg.jetty.port = Math.max(config.port(), 0);
            cfg.jetty.modifyServer(server -> {
                jetty[0] = server;
                // bodies are read before a request thread sees them; Javalin nests its handler inside
                server.setHandler(new BodyGate(config.maxBodyBytes(), bodies, config.bodyTimeout()));
                server.setErrorHandler(new JsonErrorHandler());
                server.setRequestLog(new HttpAccessLog(keys, meters));
            });
            if (tls != null) {
                cfg.jetty.addConnector((server, http) -> {
                    SslContextFactory.Server ssl = new SslContextFactory.Server();
                    ssl.setSslContext(tls.serverSslContext());
                    ssl.setNeedClientAuth(tls.mutual());
                    ServerConnector c = new ServerConnector(server, ssl, new HttpConnectionFactory(http));
                    c.setHost(bind);
                    c.setPort(Math.max(config.port(), 0));
                    return c;
                });
            }
            if (config.explorer()) {
                cfg.staticFiles.add(s -> {
                    s.hostedPath = "/";
                    s.directory = "/explorer";
                    s.location = Location.CLASSPATH;
                });
            }
            cfg.routes.post("/v1/chat/completions", this::chatCompletions);
            cfg.routes.get("/v1/models", ctx -> json(ctx, 200, ChatResponses.models(describe(ctx), created())));
            cfg.routes.get("/v1/models/{id}", ctx -> {
                ServiceInfo info = describe(ctx);
                if (!info.getModel().getName().equals(ctx.pathParam("id"))) {
                    throw new HttpApiException(404, "not_found_error", "model '" + ctx.pathParam("id")
                            + "' is not served here; GET /v1/models lists what is", "model", "model_not_found", 0);
                }
                json(ctx, 200, ChatResponses.model(info, created()));
            });
            cfg.routes.exception(HttpApiException.class, (e, ctx) -> error(ctx, e));
            cfg.routes.exception(Exception.class, (e, ctx) -> error(ctx, httpError(e)));
            cfg.routes.error(404, ctx -> {
                if (!"application/json".equals(ctx.res().getContentType())) {   // not one of ours: Javalin's text
                    error(ctx, new HttpApiException(404, "not_found_error", ctx.method() + " " + ctx.path()
                            + " is not an endpoint here (POST /v1/chat/completions, GET /v1/models, GET /)", null, "not_found", 0));
                }
            });
            cfg.routes.error(413, ctx -> error(ctx, new HttpApiException(413, "invalid_request_error",
                    "request body is larger than " + config.maxBodyBytes() + " bytes (--http-max-body-bytes)", null,
                    "request_too_large", 0)));
        });
        try {
            app.start(bind, Math.max(config.port(), 0));
        } catch (RuntimeException e) {
            channel.shutdownNow();
            throw e;
        }
        this.headerDeadline = new HeaderDeadline(jetty[0], config.headerTimeout());
        LOG.info("gateway HTTP API on {}://{}:{}{}", scheme, bind, port(), config.explorer() ? " (explorer at /)" : "");
    }

    /**
     * @param gatewayInProcessName the in-process name the gateway's gRPC server also listens on
     */
    public static HttpGateway start(HttpApiConfig config, String bind, TlsFiles tls, String gatewayInProcessName,
                                    GatewayLimits limits) {
        return new HttpGateway(config, bind, tls, gatewayInProcessName, limits, null, new SimpleMeterRegistry());
    }

    /**
     * @param keys   the gateway's API keys, so the access log names the caller's key; null = open API
     * @param meters where {@code glimpse_gateway_requests_total} counts HTTP requests
     */
    public static HttpGateway start(HttpApiConfig config, String bind, TlsFiles tls, String gatewayInProcessName,
                                    GatewayLimits limits, ApiKeys keys, MeterRegistry meters) {
        return new HttpGateway(config, bind, tls, gatewayInProcessName, limits, keys, meters);
    }

    public int port() {
        return app.port();
    }

    public String url(String host) {
        return scheme + "://" + host + ":" + port();
    }

    /** The body gate has read the body, within its limit, budget and deadline. */
    private void chatCompletions(io.javalin.http.Context ctx) throws IOException {
        JsonNode body;
        try {
            body = ChatResponses.JSON.readTree(ctx.bodyInputStream());
        } catch (IOException e) {
            throw HttpApiException.invalid(null, "the request body is not valid JSON: " + jsonProblem(e));
        }
        ChatRequest chat = ChatRequest.parse(body, images, maxNewTokensCap);
        if (chat.model() != null && !chat.model().equals(servedModel(ctx))) {
            throw new HttpApiException(404, "not_found_error", "model '" + chat.model()
                    + "' is not served here; GET /v1/models lists what is", "model", "model_not_found", 0);
        }
        String id = "chatcmpl-" + UUID.randomUUID().toString().replace("-", "");
        String model = chat.model() != null ? chat.model() : servedModel(ctx);
        if (chat.stream()) {
            stream(ctx, chat, id, model);
        } else {
            AskResponse r = client(ctx).ask(chat.ask());
            json(ctx, 200, ChatResponses.completion(id, created(), model, r));
        }
    }

    /**
     * Server-sent events. Errors before the first event are plain HTTP errors; once events flow,
     * an error is one last event. A client that goes away cancels the call at the next write,
     * which stops the chain behind it.
     */
    private void stream(io.javalin.http.Context ctx, ChatRequest chat, String id, String model) throws IOException {
        long created = created();
        Context.CancellableContext call = Context.current().withCancellation();
        Context previous = call.attach();
        try {
            Iterator<AskEvent> events = client(ctx).askStream(chat.ask());
            boolean first = true;
            OutputStream out = null;
            try {
                while (events.hasNext()) {
                    AskEvent e = events.next();
                    if (first) {
                        ctx.status(200).header("Content-Type", "text/event-stream; charset=utf-8")
                                .header("Cache-Control", "no-cache").header("X-Accel-Buffering", "no");
                        out = ctx.res().getOutputStream();
                        send(out, ChatResponses.roleChunk(id, created, model, chat.includeUsage()));
                        first = false;
                    }
                    if (e.hasDelta()) {
                        send(out, ChatResponses.deltaChunk(id, created, model, e.getDelta(), chat.includeUsage()));
                    } else if (e.hasDone()) {
                        send(out, ChatResponses.finishChunk(id, created, model, e.getDone(), chat.includeUsage()));
                        if (chat.includeUsage()) {
                            send(out, ChatResponses.usageChunk(id, created, model, e.getDone()));
                        }
                    }
                }
                if (out != null) {
                    out.write("data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8));
                    out.flush();
                }
            } catch (StatusRuntimeException e) {
                if (first) {
                    throw e;
                }
                send(out, ChatResponses.error(GrpcErrors.toHttp(e)));
            }
        } catch (IOException gone) {
            call.cancel(gone);   // the client left: stop the chain
            LOG.debug("HTTP client went away mid-stream: {}", gone.toString());
        } finally {
            call.detach(previous);
            call.cancel(null);
        }
    }

    private static void send(OutputStream out, ObjectNode event) throws IOException {
        out.write(("data: " + ChatResponses.JSON.writeValueAsString(event) + "\n\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private ServiceInfo describe(io.javalin.http.Context ctx) {
        ServiceInfo info = client(ctx).describe(DescribeRequest.getDefaultInstance());
        servedModel = info.getModel().getName();
        servedModelAt = System.nanoTime();
        return info;
    }

    /** The served model's name, asked again at most every 30 s (a rollout may change it). */
    private String servedModel(io.javalin.http.Context ctx) {
        String m = servedModel;
        if (m == null || System.nanoTime() - servedModelAt > MODEL_CACHE_NANOS) {
            m = describe(ctx).getModel().getName();
        }
        return m;
    }

    /** The gateway's gRPC API, as the HTTP caller: with its Authorization header when it sent one. */
    private GlimpseGrpc.GlimpseBlockingStub client(io.javalin.http.Context ctx) {
        GlimpseGrpc.GlimpseBlockingStub api = GlimpseGrpc.newBlockingStub(channel);
        Metadata md = new Metadata();
        md.put(AccessLogInterceptor.LOGGED_BY, "http");   // this request's access-log line is the HTTP one
        String auth = ctx.header("Authorization");
        if (auth != null) {
            md.put(AUTHORIZATION, auth);
        }
        return api.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(md));
    }

    /** Jackson's first line, without the source excerpt it appends (which could echo the body). */
    private static String jsonProblem(IOException e) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        int cut = m.indexOf("\n");
        return cut < 0 ? m : m.substring(0, cut);
    }

    private static HttpApiException httpError(Exception e) {
        if (e instanceof HttpApiException h) {
            return h;
        }
        return GrpcErrors.toHttp(StatusMapping.toStatus(e));
    }

    private static void error(io.javalin.http.Context ctx, HttpApiException e) {
        if (e.retryAfterSeconds > 0) {
            ctx.header("Retry-After", Long.toString(e.retryAfterSeconds));
        }
        json(ctx, e.status, ChatResponses.error(e));
    }

    private static void json(io.javalin.http.Context ctx, int status, ObjectNode body) {
        try {
            ctx.status(status).contentType("application/json").result(ChatResponses.JSON.writeValueAsString(body));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static long created() {
        return System.currentTimeMillis() / 1000;
    }

    @Override
    public void close() {
        headerDeadline.close();
        app.stop();
        channel.shutdownNow();
    }
}
