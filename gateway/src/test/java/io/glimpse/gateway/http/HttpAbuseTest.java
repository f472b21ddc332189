package io.glimpse.gateway.http;

import com.fasterxml.jackson.databind.JsonNode;
import io.glimpse.gateway.chain.GatewayLimits;
import io.glimpse.proto.v1.AskRequest;
import io.glimpse.proto.v1.AskResponse;
import io.glimpse.proto.v1.DescribeRequest;
import io.glimpse.proto.v1.GlimpseGrpc;
import io.glimpse.proto.v1.ModelInfo;
import io.glimpse.proto.v1.ServiceInfo;
import io.grpc.Server;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The HTTP face against slow and hostile clients, over real sockets, in front of a stand-in for the
 * gateway's gRPC API (the chain behind it is not what is under test): trickled bodies and headers,
 * stalled uploads, chunked bodies past the limit, oversized headers. Small limits and deadlines keep
 * it quick; `glimpse bench http-abuse` runs the same attacks at full scale against the real chain.
 */
class HttpAbuseTest {
    private static final int MAX_BODY = 64 << 10;
    private static final Duration BODY_TIMEOUT = Duration.ofSeconds(2);
    private static final Duration HEADER_TIMEOUT = Duration.ofSeconds(1);
    private static Server api;
    private static HttpGateway http;
    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeAll
    static void start() throws IOException {
        String name = "abuse-" + UUID.randomUUID();
        api = InProcessServerBuilder.forName(name).addService(new GlimpseGrpc.GlimpseImplBase() {
            @Override
            public void describe(DescribeRequest r, StreamObserver<ServiceInfo> out) {
                out.onNext(ServiceInfo.newBuilder().setModel(ModelInfo.newBuilder().setName("stand-in")).build());
                out.onCompleted();
            }

            @Override
            public void ask(AskRequest r, StreamObserver<AskResponse> out) {
                out.onNext(AskResponse.newBuilder().setAnswer("red").build());
                out.onCompleted();
            }
        }).build().start();
        // 4 x the body limit in flight; a thread pool of maxInFlight + 16 = 20 request threads
        HttpApiConfig config = new HttpApiConfig(0, MAX_BODY, 4L * MAX_BODY, List.of(), Duration.ofSeconds(2), false,
                BODY_TIMEOUT, HEADER_TIMEOUT);
        GatewayLimits limits = GatewayLimits.defaults();
        http = HttpGateway.start(config, "127.0.0.1", null, name, new GatewayLimits(limits.maxImages(),
                limits.maxImageBytes(), limits.maxQuestionChars(), limits.defaultDeadline(), 4, limits.maxInFlightBytes()));
    }

    @AfterAll
    static void stop() {
        http.close();
        api.shutdownNow();
    }

    private static String chatBody() {
        return "{\"messages\":[{\"role\":\"user\",\"content\":\"what color is it ?\"}],\"max_tokens\":2}";
    }

    private static HttpResponse<String> good() throws Exception {
        return CLIENT.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http.port() + "/v1/chat/completions"))
                .timeout(Duration.ofSeconds(5)).POST(HttpRequest.BodyPublishers.ofString(chatBody()))
                .header("Content-Type", "application/json").build(), HttpResponse.BodyHandlers.ofString());
    }

    private static Socket open(String head) throws IOException {
        Socket s = new Socket("127.0.0.1", http.port());
        s.setSoTimeout(10_000);
        s.getOutputStream().write(head.getBytes(StandardCharsets.US_ASCII));
        s.getOutputStream().flush();
        return s;
    }

    /** Everything the server sends until it closes (or the read times out). */
    private static String drain(Socket s) throws IOException {
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        InputStream in = s.getInputStream();
        byte[] b = new byte[4096];
        try {
            for (int n; (n = in.read(b)) > 0; ) {
                got.write(b, 0, n);
            }
        } catch (SocketTimeoutException | java.net.SocketException e) {
            // closed by a reset, or still open: what arrived is the answer
        }
        return got.toString(StandardCharsets.UTF_8);
    }

    private static JsonNode errorOf(String response) throws IOException {
        return ChatResponses.JSON.readTree(response.substring(response.indexOf("\r\n\r\n") + 4)).get("error");
    }

    /** More trickling bodies than request threads: good requests are still served, and the trickles end with a 408. */
    @Test
    void slowBodiesHoldNoThread() throws Exception {
        List<Socket> slow = new ArrayList<>();
        try {
            for (int i = 0; i < 40; i++) {
                slow.add(open("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                        + "Content-Length: 100\r\n\r\n{"));
            }
            for (int i = 0; i < 5; i++) {
                HttpResponse<String> r = good();
                assertEquals(200, r.statusCode(), r.body());
                assertTrue(r.headers().firstValue("x-request-id").orElse("").startsWith("req_"), r.headers().toString());
            }
            long t0 = System.nanoTime();
            String answer = drain(slow.get(0));
            double waited = (System.nanoTime() - t0) / 1e9;
            assertTrue(answer.startsWith("HTTP/1.1 408"), answer);
            JsonNode error = errorOf(answer);
            assertEquals("timeout_error", error.get("type").asText());
            assertTrue(!error.get("message").asText().contains("Exception"), error.toString());
            assertTrue(waited < BODY_TIMEOUT.toSeconds() + 2, "closed within the body deadline, waited " + waited);
        } finally {
            for (Socket s : slow) {
                s.close();
            }
        }
    }

    /** Headers that trickle (slowloris) do not keep a connection past the header deadline, although each byte resets the idle timeout. */
    @Test
    void slowHeadersAreCutOff() throws Exception {
        List<Socket> slow = new ArrayList<>();
        try {
            for (int i = 0; i < 40; i++) {
                slow.add(open("GET /v1/models HTTP/1.1\r\nHost: x\r\nX-Slow: "));
            }
            long t0 = System.nanoTime();
            boolean closed = false;
            while (!closed && System.nanoTime() - t0 < Duration.ofSeconds(6).toNanos()) {
                Thread.sleep(300);
                try {
                    for (Socket s : slow) {
                        s.getOutputStream().write('a');   // one byte every 300 ms each
                        s.getOutputStream().flush();
                    }
                } catch (IOException e) {
                    closed = true;
                }
                assertEquals(200, good().statusCode());
            }
            double waited = (System.nanoTime() - t0) / 1e9;
            assertTrue(closed, "the trickling connections were closed");
            assertTrue(waited < HEADER_TIMEOUT.toSeconds() + 3, "within the header deadline, waited " + waited);
        } finally {
            for (Socket s : slow) {
                s.close();
            }
        }
    }

    /** Uploads that declare the largest body and stall hold only what they sent: other requests are served. */
    @Test
    void stalledUploadsHoldOnlyWhatTheySent() throws Exception {
        List<Socket> stalled = new ArrayList<>();
        try {
            for (int i = 0; i < 10; i++) {
                stalled.add(open("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: " + MAX_BODY + "\r\n\r\n"
                        + " ".repeat(1024)));
            }
            Socket chunked = open("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "400\r\n" + " ".repeat(1024) + "\r\n");
            stalled.add(chunked);
            Thread.sleep(200);
            for (int i = 0; i < 3; i++) {
                HttpResponse<String> r = good();
                assertEquals(200, r.statusCode(), r.body());
            }
        } finally {
            for (Socket s : stalled) {
                s.close();
            }
        }
    }

    /** A chunked body is held to the same limit as a declared one: refused at the limit, and not read beyond it. */
    @Test
    void chunkedBodiesAreCappedOnTheBytesRead() throws Exception {
        try (Socket s = open("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")) {
            OutputStream out = s.getOutputStream();
            byte[] chunk = ("1000\r\n" + " ".repeat(4096) + "\r\n").getBytes(StandardCharsets.US_ASCII);
            // 64 MiB, a thousand times the limit: the server must stop reading long before the end
            assertThrows(IOException.class, () -> {
                for (int i = 0; i < 16_384; i++) {
                    out.write(chunk);
                }
            });
            String answer = drain(s);
            if (!answer.isEmpty()) {   // the 413 may be lost to the reset that stopped the writer
                assertTrue(answer.startsWith("HTTP/1.1 413"), answer);
                assertEquals("request_too_large", errorOf(answer).get("code").asText());
            }
        }
        try (Socket s = open("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                + ("1000\r\n" + " ".repeat(4096) + "\r\n").repeat(17))) {
            String answer = drain(s);
            assertTrue(answer.startsWith("HTTP/1.1 413"), answer);
        }
    }

    /** Errors Jetty answers itself come in the API's JSON shape. */
    @Test
    void jettyErrorsAreJson() throws Exception {
        try (Socket s = open("GET /v1/models HTTP/1.1\r\nHost: x\r\nX-Big: " + "a".repeat(20_000) + "\r\n\r\n")) {
            String answer = drain(s);
            assertTrue(answer.startsWith("HTTP/1.1 431"), answer);
            assertTrue(answer.toLowerCase(java.util.Locale.ROOT).contains("content-type: application/json"), answer);
            assertEquals("invalid_request_error", errorOf(answer).get("type").asText());
        }
        try (Socket s = open("BREW /v1/models HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n")) {
            String answer = drain(s);
            assertTrue(answer.startsWith("HTTP/1.1 400"), answer);
            assertTrue(errorOf(answer) != null && errorOf(answer).has("message"), answer);
        }
    }

    /** Every request the HTTP face answers leaves one access-log line, refusals by Jetty and the gate included. */
    @Test
    void everyAnsweredRequestIsLogged() throws Exception {
        ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> access = new ch.qos.logback.core.read.ListAppender<>();
        access.start();
        ch.qos.logback.classic.Logger log = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger("glimpse.access");
        log.setLevel(ch.qos.logback.classic.Level.INFO);
        log.addAppender(access);
        try {
            assertEquals(200, good().statusCode());
            try (Socket s = open("GET /v1/models HTTP/1.1\r\nHost: x\r\nX-Big: " + "a".repeat(20_000) + "\r\n\r\n")) {
                drain(s);
            }
            try (Socket s = open("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: " + (MAX_BODY + 1)
                    + "\r\n\r\n")) {
                drain(s);
            }
            try (Socket s = open("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n{")) {
                drain(s);   // times out at the body deadline
            }
            Thread.sleep(200);
            List<String> lines = access.list.stream().map(ch.qos.logback.classic.spi.ILoggingEvent::getFormattedMessage).toList();
            for (String status : List.of("200", "431", "413", "408")) {
                assertEquals(1, lines.stream().filter(l -> l.contains(" status=" + status + " ")).count(),
                        status + " logged once:\n" + String.join("\n", lines));
            }
            assertTrue(lines.stream().allMatch(l -> l.contains("request_id=req_") || l.contains("status=431")),
                    String.join("\n", lines));
        } finally {
            log.detachAppender(access);
        }
    }
}
