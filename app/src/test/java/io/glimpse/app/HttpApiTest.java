package io.glimpse.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.JsonValue;
import com.openai.core.http.StreamResponse;
import com.openai.errors.BadRequestException;
import com.openai.errors.NotFoundException;
import com.openai.errors.OpenAIServiceException;
import com.openai.errors.UnauthorizedException;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionContentPart;
import com.openai.models.chat.completions.ChatCompletionContentPartImage;
import com.openai.models.chat.completions.ChatCompletionContentPartText;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.models.Model;
import com.sun.net.httpserver.HttpServer;
import io.glimpse.common.methods.PruningMethods;
import io.glimpse.model.onnx.OrtSessionFactory;
import io.glimpse.common.server.TlsFiles;
import io.glimpse.gateway.auth.AccessPolicy;
import io.glimpse.gateway.auth.ApiKeys;
import io.glimpse.gateway.http.HttpApiConfig;
import io.glimpse.proto.v1.AskResponse;
import io.glimpse.proto.v1.DescribeRequest;
import io.glimpse.proto.v1.Pruning;
import io.glimpse.proto.v1.ServiceInfo;
import io.glimpse.proto.v1.TokenPolicy;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.TrustManagerFactory;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The gateway's OpenAI-compatible HTTP API against the real chain on the bundled model, driven by
 * the official OpenAI Java client and by raw HTTP for what a client library would not send.
 */
class HttpApiTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static EmbeddedStack stack;
    private static HttpServer images;
    private static OpenAIClient openai;
    private static String base;

    @BeforeAll
    static void start() throws IOException {
        images = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        byte[] png = Files.readAllBytes(example(0).image());
        images.createContext("/shape.png", x -> {
            x.sendResponseHeaders(200, png.length);
            x.getResponseBody().write(png);
            x.close();
        });
        images.createContext("/moved.png", x -> {
            x.getResponseHeaders().add("Location", "http://169.254.169.254/latest/meta-data/");
            x.sendResponseHeaders(302, -1);
            x.close();
        });
        images.start();
        EmbeddedStack.Services services = EmbeddedStack.Services.defaults(StackFixture.bundle(), OrtSessionFactory.cpu())
                .withHttp(HttpApiConfig.defaults(0).withImageHosts(List.of("127.0.0.1:" + images.getAddress().getPort())));
        stack = EmbeddedStack.start(services, EmbeddedStack.Transport.LOOPBACK, 0, new SimpleMeterRegistry());
        base = stack.http().url("127.0.0.1");
        openai = OpenAIOkHttpClient.builder().baseUrl(base + "/v1").apiKey("unused").maxRetries(0).build();
    }

    @AfterAll
    static void stop() {
        if (stack != null) {
            stack.close();
        }
        if (images != null) {
            images.stop(0);
        }
    }

    private static ExampleSet.Example example(int i) {
        return StackFixture.examples().examples().get(i);
    }

    private static String dataUri(ExampleSet.Example e) throws IOException {
        return "data:image/png;base64," + Base64.getEncoder().encodeToString(Files.readAllBytes(e.image()));
    }

    private static ChatCompletionCreateParams.Builder params(String question, String imageUrl) {
        return ChatCompletionCreateParams.builder().model("glimpse-shapes-v3").addUserMessageOfArrayOfContentParts(List.of(
                ChatCompletionContentPart.ofText(ChatCompletionContentPartText.builder().text(question).build()),
                ChatCompletionContentPart.ofImageUrl(ChatCompletionContentPartImage.builder().imageUrl(
                        ChatCompletionContentPartImage.ImageUrl.builder().url(imageUrl).build()).build())));
    }

    private static final Map<String, Object> QUOTA_16 = Map.of("method", "QUOTA", "keep_tokens", 16);

    @Test
    void completionMatchesTheGrpcAskWithTheSamePolicy() throws IOException {
        for (int i = 0; i < 4; i++) {
            ExampleSet.Example e = example(i);
            AskResponse grpc = stack.blocking().ask(StackFixture.ask(e).setPolicy(TokenPolicy.newBuilder()
                    .setPruning(Pruning.newBuilder().setMethod(Pruning.Method.QUOTA).setKeepTokens(16))).build());
            ChatCompletion c = openai.chat().completions().create(params(e.question(), dataUri(e))
                    .putAdditionalBodyProperty("pruning", JsonValue.from(QUOTA_16)).build());
            assertEquals(grpc.getAnswer(), c.choices().get(0).message().content().orElseThrow(), e.question());
            assertEquals(ChatCompletion.Choice.FinishReason.STOP, c.choices().get(0).finishReason());
            assertEquals(grpc.getUsage().getPromptTokens(), c.usage().orElseThrow().promptTokens());
            assertEquals(grpc.getUsage().getGeneratedTokens(), c.usage().orElseThrow().completionTokens());
            JsonNode usage = JSON.valueToTree(c.usage().orElseThrow()._additionalProperties().get("glimpse"));
            assertEquals(144, usage.get("visual_tokens_full").asInt());
            assertEquals(grpc.getUsage().getVisualTokensUsed(), usage.get("visual_tokens_used").asInt());
            assertTrue(usage.get("prefill_flops_used").asDouble() < usage.get("prefill_flops_full").asDouble());
            JsonNode selection = JSON.valueToTree(c._additionalProperties().get("glimpse")).get("selections").get(0);
            assertEquals(144, selection.get("scores").size(), "one score per tokenized token");
            assertEquals(grpc.getSelections(0).getKeptOriginCount(), selection.get("kept_origin").size());
        }
    }

    @Test
    void streamingDeltasAddUpToTheAnswerAndUsageComesLast() throws IOException {
        ExampleSet.Example e = example(1);
        String full = openai.chat().completions().create(params(e.question(), dataUri(e)).build())
                .choices().get(0).message().content().orElseThrow();
        StringBuilder text = new StringBuilder();
        List<ChatCompletionChunk> chunks = new ArrayList<>();
        try (StreamResponse<ChatCompletionChunk> s = openai.chat().completions().createStreaming(params(e.question(), dataUri(e))
                .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build())) {
            s.stream().forEach(ch -> {
                chunks.add(ch);
                ch.choices().forEach(c -> c.delta().content().ifPresent(text::append));
            });
        }
        assertEquals(full, text.toString());
        assertEquals(e.answer(), full, "the bundled model answers this example");
        ChatCompletionChunk finish = chunks.get(chunks.size() - 2);
        assertEquals(ChatCompletionChunk.Choice.FinishReason.STOP, finish.choices().get(0).finishReason().orElseThrow());
        ChatCompletionChunk last = chunks.get(chunks.size() - 1);
        assertTrue(last.choices().isEmpty());
        assertTrue(last.usage().orElseThrow().promptTokens() > 144, "the prompt holds the 144 visual tokens");
    }

    /** A streaming client that goes away cancels the call: the runner stops decoding for it. */
    @Test
    void aClientThatLeavesMidStreamStopsTheChain() throws Exception {
        ExampleSet.Example e = example(1);
        String body = JSON.writeValueAsString(Map.of(
                "messages", List.of(Map.of("role", "user", "content", List.of(
                        Map.of("type", "text", "text", e.question()),
                        Map.of("type", "image_url", "image_url", Map.of("url", dataUri(e)))))),
                "stream", true, "max_tokens", 200, "min_tokens", 200,
                "tokenization", Map.of("mode", "POOLED", "tokens", 16)));
        java.net.URI uri = URI.create(base);
        long before = stack.runnerEngine().decodeSteps();
        try (java.net.Socket socket = new java.net.Socket(uri.getHost(), uri.getPort())) {
            byte[] b = body.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            socket.getOutputStream().write(("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    + "Content-Length: " + b.length + "\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            socket.getOutputStream().write(b);
            socket.getOutputStream().flush();
            java.io.InputStream in = socket.getInputStream();
            StringBuilder seen = new StringBuilder();
            while (!seen.toString().contains("\"content\":\"") || seen.indexOf("data:", seen.indexOf("\"content\":\"")) < 0) {
                int c = in.read();
                assertTrue(c >= 0, "the stream started: " + seen);
                seen.append((char) c);
            }
        }   // the client leaves after the first deltas
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
        long last = -1;
        while (System.nanoTime() < deadline) {
            long now = stack.runnerEngine().decodeSteps();
            if (now == last) {
                break;
            }
            last = now;
            Thread.sleep(300);
        }
        assertTrue(last - before < 200, "decoding stopped before the 200 forced tokens: " + (last - before) + " steps");
    }

    @Test
    void samplingFieldsAndLengthLimitReachTheRunner() throws IOException {
        ExampleSet.Example e = example(2);
        ChatCompletion a = openai.chat().completions().create(params(e.question(), dataUri(e))
                .temperature(1.5).topP(0.9).seed(7).maxCompletionTokens(1)
                .putAdditionalBodyProperty("min_tokens", JsonValue.from(1)).build());
        ChatCompletion b = openai.chat().completions().create(params(e.question(), dataUri(e))
                .temperature(1.5).topP(0.9).seed(7).maxCompletionTokens(1)
                .putAdditionalBodyProperty("min_tokens", JsonValue.from(1)).build());
        assertEquals(1, a.usage().orElseThrow().completionTokens());
        assertEquals(a.choices().get(0).message().content(), b.choices().get(0).message().content(), "same seed, same text");

        // decoding over core neurons: the greedy answer of the gRPC Ask with the same generation
        ChatCompletion core = openai.chat().completions().create(params(e.question(), dataUri(e))
                .putAdditionalBodyProperty("core_neurons", JsonValue.from(0.4)).build());
        assertEquals(stack.blocking().ask(StackFixture.ask(e).setGeneration(io.glimpse.proto.v1.Generation.newBuilder()
                .setCoreNeurons(0.4f)).build()).getAnswer(), core.choices().get(0).message().content().orElseThrow());
        BadRequestException badCore = assertThrows(BadRequestException.class, () -> openai.chat().completions().create(
                params(e.question(), dataUri(e)).putAdditionalBodyProperty("core_neurons", JsonValue.from(2)).build()));
        assertEquals("core_neurons", badCore.param().orElseThrow());
    }

    @Test
    void modelsListTheBundleItsBudgetsMethodsAndLimits() {
        List<Model> models = openai.models().list().data();
        assertEquals(1, models.size());
        assertEquals("glimpse-shapes-v3", models.get(0).id());
        JsonNode g = JSON.valueToTree(models.get(0)._additionalProperties().get("glimpse"));
        assertEquals(List.of(1, 2, 3, 4, 6, 8, 12), ints(g.get("model").get("pooled_sides")));
        assertEquals(12, g.get("model").get("grid_h").asInt());
        assertEquals(PruningMethods.all().size(), g.get("methods").size());
        assertEquals(16, g.get("limits").get("max_images").asInt());
        assertEquals(openai.models().retrieve("glimpse-shapes-v3").id(), "glimpse-shapes-v3");
        assertThrows(NotFoundException.class, () -> openai.models().retrieve("gpt-4o"));

        ServiceInfo info = stack.blocking().describe(DescribeRequest.getDefaultInstance());
        assertEquals("glimpse-shapes-v3", info.getModel().getName());
        assertEquals(12, info.getModel().getVersion().length(), "a content hash when config.json names no version");
        assertTrue(info.getMethodsList().stream().allMatch(m -> m.getAvailable()), "the bundled model has every part");
        assertTrue(info.getMethodsList().stream().filter(m -> m.getMethod() == Pruning.Method.FASTV)
                .allMatch(m -> m.getNeedsList().contains("lm_probe")));
    }

    private static List<Integer> ints(JsonNode a) {
        List<Integer> out = new ArrayList<>();
        a.forEach(n -> out.add(n.asInt()));
        return out;
    }

    @Test
    void refusalsComeInOpenAisErrorShapeAndTheServiceStaysUp() throws IOException {
        ExampleSet.Example e = example(0);
        BadRequestException badBudget = assertThrows(BadRequestException.class, () -> openai.chat().completions().create(
                params(e.question(), dataUri(e)).putAdditionalBodyProperty("pruning",
                        JsonValue.from(Map.of("method", "QUOTA", "keep_ratio", 1.5))).build()));
        assertEquals("invalid_argument", badBudget.code().orElseThrow());
        assertTrue(badBudget.getMessage().contains("keep_ratio"), badBudget.getMessage());

        BadRequestException notAnImage = assertThrows(BadRequestException.class, () -> openai.chat().completions().create(
                params(e.question(), "data:image/png;base64," + Base64.getEncoder().encodeToString("not a png".getBytes())).build()));
        assertTrue(notAnImage.getMessage().toLowerCase().contains("image"), notAnImage.getMessage());

        BadRequestException remote = assertThrows(BadRequestException.class, () -> openai.chat().completions().create(
                params(e.question(), "https://example.com/cat.png").build()));
        assertEquals("image_url_not_allowed", remote.code().orElseThrow());

        NotFoundException model = assertThrows(NotFoundException.class, () -> openai.chat().completions().create(
                params(e.question(), dataUri(e)).model("gpt-4o").build()));
        assertEquals("model", model.param().orElseThrow());

        BadRequestException twoChoices = assertThrows(BadRequestException.class, () -> openai.chat().completions().create(
                params(e.question(), dataUri(e)).n(2).build()));
        assertEquals("n", twoChoices.param().orElseThrow());

        // what a client library would not send
        assertError(post("{not json"), 400, "invalid_request_error");
        assertError(post("{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"},{\"role\":\"assistant\",\"content\":\"x\"}]}"),
                400, "invalid_request_error");
        assertError(post("{\"messages\":[{\"role\":\"user\",\"content\":\"what color is it ?\"}]}"), 400, "invalid_request_error");
        assertError(post("{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"input_audio\"}]}]}"), 400, "invalid_request_error");
        assertError(post("{\"messages\":[{\"role\":\"user\",\"content\":\"q\"}],\"pruning\":{\"method\":\"NO_SUCH\"}}"),
                400, "invalid_request_error");
        assertError(post("{\"messages\":[{\"role\":\"user\",\"content\":\"q\"}],\"max_tokens\":\"many\"}"), 400, "invalid_request_error");
        // refused from the Content-Length alone: the answer arrives although no byte of the body was sent
        assertEquals(413, statusWithoutBody(HttpApiConfig.DEFAULT_MAX_BODY_BYTES + 10L));
        assertError(send(HttpRequest.newBuilder(URI.create(base + "/v1/nowhere")).GET().build()), 404, "not_found_error");

        // a body near the size limit is served (the in-flight budget holds one largest body)
        ExampleSet.Example big = example(1);
        String padded = " ".repeat(25 << 20) + JSON.writeValueAsString(Map.of("messages", List.of(Map.of("role", "user",
                "content", List.of(Map.of("type", "text", "text", big.question()),
                        Map.of("type", "image_url", "image_url", Map.of("url", dataUri(big))))))));
        HttpResponse<String> served = post(padded);
        assertEquals(200, served.statusCode(), served.body().length() > 300 ? served.body().substring(0, 300) : served.body());
        assertEquals(big.answer(), JSON.readTree(served.body()).get("choices").get(0).get("message").get("content").asText());

        // and the next ordinary call is served
        ExampleSet.Example next = example(1);
        ChatCompletion ok = openai.chat().completions().create(params(next.question(), dataUri(next)).build());
        assertEquals(next.answer(), ok.choices().get(0).message().content().orElseThrow());
    }

    /** Fields Glimpse cannot honour are refused by name; the cap is the gateway's; names, nulls and integers as the SDKs type them. */
    @Test
    void openAiFieldsAreHonouredOrRefusedByName() throws IOException {
        ExampleSet.Example e = example(1);
        String image = dataUri(e);
        java.util.function.Function<Map<String, Object>, String> body = extra -> {
            Map<String, Object> b = new java.util.HashMap<>(Map.of("messages", List.of(Map.of("role", "user", "content",
                    List.of(Map.of("type", "text", "text", e.question()), Map.of("type", "image_url", "image_url", Map.of("url", image)))))));
            b.putAll(extra);
            try {
                return JSON.writeValueAsString(b);
            } catch (IOException x) {
                throw new java.io.UncheckedIOException(x);
            }
        };
        for (var refused : List.of(Map.<String, Object>of("response_format", Map.of("type", "json_object")),
                Map.<String, Object>of("response_format", Map.of("type", "json_schema", "json_schema", Map.of("name", "x"))),
                Map.<String, Object>of("reasoning_effort", "low"), Map.<String, Object>of("top_k", 5),
                Map.<String, Object>of("store", true), Map.<String, Object>of("top_logprobs", 3))) {
            HttpResponse<String> r = post(body.apply(refused));
            assertError(r, 400, "invalid_request_error");
            String field = refused.keySet().iterator().next();
            assertEquals(field, JSON.readTree(r.body()).get("error").get("param").asText(), r.body());
        }
        assertEquals(200, post(body.apply(Map.of("response_format", Map.of("type", "text"), "user", "u-1",
                "metadata", Map.of("a", "b"), "service_tier", "auto", "store", false))).statusCode());

        // above the cap: refused by the gateway before any stage, naming the field
        HttpResponse<String> over = post(body.apply(Map.of("max_tokens", 100_000)));
        assertError(over, 400, "invalid_request_error");
        assertEquals("max_tokens", JSON.readTree(over.body()).get("error").get("param").asText());
        JsonNode limits = JSON.readTree(send(HttpRequest.newBuilder(URI.create(base + "/v1/models")).GET().build()).body())
                .get("data").get(0).get("glimpse").get("limits");
        assertEquals(256, limits.get("max_new_tokens_cap").asInt(), limits.toString());
        assertTrue(limits.get("max_image_bytes").isIntegralNumber(), "64-bit counts are JSON integers: " + limits);

        // an unknown method lists the valid ones
        HttpResponse<String> magic = post(body.apply(Map.of("pruning", Map.of("method", "MAGIC"))));
        assertError(magic, 400, "invalid_request_error");
        assertTrue(magic.body().contains("QUOTA") && magic.body().contains("DIVPRUNE"), magic.body());

        // message.refusal, a request id, integers
        HttpResponse<String> ok = post(body.apply(Map.of()));
        JsonNode done = JSON.readTree(ok.body());
        assertTrue(done.get("choices").get(0).get("message").has("refusal")
                && done.get("choices").get(0).get("message").get("refusal").isNull(), ok.body());
        assertTrue(ok.headers().firstValue("x-request-id").orElse("").startsWith("req_"));
        assertTrue(done.get("usage").get("glimpse").get("prefill_flops_used").isIntegralNumber(), done.get("usage").toString());

        // streamed with include_usage: every chunk before the last says usage: null
        HttpResponse<String> streamed = post(body.apply(Map.of("stream", true, "stream_options", Map.of("include_usage", true))));
        List<JsonNode> chunks = new ArrayList<>();
        for (String line : streamed.body().split("\n")) {
            if (line.startsWith("data: {")) {
                chunks.add(JSON.readTree(line.substring(6)));
            }
        }
        for (int i = 0; i < chunks.size() - 1; i++) {
            assertTrue(chunks.get(i).has("usage") && chunks.get(i).get("usage").isNull(), chunks.get(i).toString());
        }
        JsonNode usage = chunks.get(chunks.size() - 1).get("usage");
        assertTrue(usage.get("glimpse").get("prefill_flops_used").isIntegralNumber(), usage.toString());
    }

    @Test
    void remoteImagesOnlyFromAllowedHostsAndNoRedirects() throws IOException {
        ExampleSet.Example e = example(0);
        String host = "http://127.0.0.1:" + images.getAddress().getPort();
        ChatCompletion fetched = openai.chat().completions().create(params(e.question(), host + "/shape.png").build());
        ChatCompletion inline = openai.chat().completions().create(params(e.question(), dataUri(e)).build());
        assertEquals(inline.choices().get(0).message().content(), fetched.choices().get(0).message().content());
        BadRequestException redirect = assertThrows(BadRequestException.class, () -> openai.chat().completions().create(
                params(e.question(), host + "/moved.png").build()));
        assertTrue(redirect.getMessage().contains("HTTP 302"), redirect.getMessage());
        BadRequestException otherPort = assertThrows(BadRequestException.class, () -> openai.chat().completions().create(
                params(e.question(), "http://127.0.0.1:1/shape.png").build()));
        assertEquals("image_url_not_allowed", otherPort.code().orElseThrow());
    }

    @Test
    void keysAndTlsAreTheGatewaysOwn(@TempDir Path dir) throws Exception {
        TestPki ca = TestPki.ca("http-test-ca");
        Path server = ca.issue("gateway").writeCert(dir.resolve("server"));
        Path caFile = ca.writeCaCert(dir.resolve("ca.pem"));
        String key = ApiKeys.newKey();
        Path keys = Files.writeString(dir.resolve("keys.txt"), "tester sha256:" + ApiKeys.hash(key) + "\n");
        EmbeddedStack.Services services = EmbeddedStack.Services.defaults(StackFixture.bundle(), OrtSessionFactory.cpu())
                .withAccess(AccessPolicy.open().withKeys(ApiKeys.load(keys)))
                .withGatewayServer(io.glimpse.common.server.ServerConfig.tcp(0).withReflection(false).withTls(
                        new TlsFiles(server.resolve("cert.pem"), server.resolve("key.pem"), null, Duration.ofSeconds(60))))
                .withHttp(HttpApiConfig.defaults(0));
        try (EmbeddedStack secured = EmbeddedStack.start(services, EmbeddedStack.Transport.IN_PROCESS, -1, new SimpleMeterRegistry())) {
            String url = secured.http().url("localhost");
            assertTrue(url.startsWith("https://"), url);
            assertThrows(SSLHandshakeException.class, () -> HttpClient.newHttpClient().send(
                    HttpRequest.newBuilder(URI.create(url + "/v1/models")).build(), HttpResponse.BodyHandlers.ofString()),
                    "the JDK's trust store does not know the test CA");
            HttpClient trusting = HttpClient.newBuilder().sslContext(trusting(caFile)).build();
            HttpResponse<String> anonymous = trusting.send(HttpRequest.newBuilder(URI.create(url + "/v1/models")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertError(anonymous, 401, "authentication_error");
            HttpResponse<String> keyed = trusting.send(HttpRequest.newBuilder(URI.create(url + "/v1/models"))
                    .header("Authorization", "Bearer " + key).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, keyed.statusCode(), keyed.body());
            OpenAIClient client = OpenAIOkHttpClient.builder().baseUrl(url + "/v1").apiKey("wrong").maxRetries(0)
                    .sslSocketFactory(trusting(caFile).getSocketFactory()).trustManager(trustManager(caFile)).build();
            ExampleSet.Example e = example(1);
            OpenAIServiceException wrong = assertThrows(UnauthorizedException.class,
                    () -> client.chat().completions().create(params(e.question(), dataUri(e)).build()));
            assertEquals(401, wrong.statusCode());
            OpenAIClient right = client.withOptions(o -> o.apiKey(key));
            assertEquals(e.answer(), right.chat().completions().create(params(e.question(), dataUri(e)).build())
                    .choices().get(0).message().content().orElseThrow());
        }
    }

    private static javax.net.ssl.X509TrustManager trustManager(Path caFile) throws Exception {
        KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
        ks.load(null, null);
        ks.setCertificateEntry("ca", CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(Files.readAllBytes(caFile))));
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ks);
        return (javax.net.ssl.X509TrustManager) tmf.getTrustManagers()[0];
    }

    /** A TLS context that trusts exactly the CA in {@code caFile}. */
    static SSLContext trusting(Path caFile) throws Exception {
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, new javax.net.ssl.TrustManager[]{trustManager(caFile)}, null);
        return ctx;
    }

    private static HttpResponse<String> post(String body) {
        return send(HttpRequest.newBuilder(URI.create(base + "/v1/chat/completions"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build());
    }

    /** Sends only the headers of a POST announcing {@code length} body bytes; returns the status the server answers. */
    private static int statusWithoutBody(long length) throws IOException {
        URI uri = URI.create(base);
        try (java.net.Socket socket = new java.net.Socket(uri.getHost(), uri.getPort())) {
            socket.setSoTimeout(30_000);
            socket.getOutputStream().write(("POST /v1/chat/completions HTTP/1.1\r\nHost: " + uri.getHost()
                    + "\r\nContent-Type: application/json\r\nContent-Length: " + length + "\r\n\r\n")
                    .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            String status = new java.io.BufferedReader(new java.io.InputStreamReader(socket.getInputStream(),
                    java.nio.charset.StandardCharsets.US_ASCII)).readLine();
            return Integer.parseInt(status.split(" ")[1]);
        }
    }

    private static HttpResponse<String> send(HttpRequest r) {
        try {
            return HttpClient.newHttpClient().send(r, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static void assertError(HttpResponse<String> r, int status, String type) throws IOException {
        assertEquals(status, r.statusCode(), r.body());
        JsonNode error = JSON.readTree(r.body()).get("error");
        assertEquals(type, error.get("type").asText(), r.body());
        assertTrue(error.get("message").asText().length() > 10, r.body());
    }
}
