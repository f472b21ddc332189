package io.glimpse.gateway.http;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Locale;

/**
 * Turns a chat message's {@code image_url} into image bytes: a {@code data:} URI is decoded; an
 * http(s) URL is fetched only when its host is on the allow-list, without following redirects
 * (a redirect could leave the list) and reading no more than the image limit — the gateway is
 * not an open proxy into the network it runs in.
 */
final class ImageSources {
    private final List<String> allowedHosts;
    private final int maxImageBytes;
    private final Duration timeout;
    private final HttpClient http;

    ImageSources(List<String> allowedHosts, int maxImageBytes, Duration timeout) {
        this.allowedHosts = allowedHosts;
        this.maxImageBytes = maxImageBytes;
        this.timeout = timeout;
        this.http = allowedHosts.isEmpty() ? null : HttpClient.newBuilder().connectTimeout(timeout)
                .followRedirects(HttpClient.Redirect.NEVER).build();
    }

    byte[] read(String url, String param) {
        if (url.regionMatches(true, 0, "data:", 0, 5)) {
            return dataUri(url, param);
        }
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            throw HttpApiException.invalid(param, "image_url is neither a data: URI nor a valid URL: " + e.getMessage());
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw HttpApiException.invalid(param, "image_url must be a data: URI (data:image/png;base64,...) or an"
                    + " http(s) URL, got scheme '" + scheme + "'");
        }
        String host = uri.getHost() == null ? "" : uri.getHost().toLowerCase(Locale.ROOT);
        String hostPort = uri.getPort() < 0 ? host : host + ":" + uri.getPort();
        if (!allowedHosts.contains(host) && !allowedHosts.contains(hostPort)) {
            throw new HttpApiException(400, "invalid_request_error", "image_url host '" + hostPort + "' is not allowed:"
                    + " this gateway fetches remote images only from " + (allowedHosts.isEmpty()
                    ? "no host (none configured with --http-image-hosts)" : String.join(", ", allowedHosts))
                    + "; send the image inline as a data: URI", param, "image_url_not_allowed", 0);
        }
        return fetch(uri, param);
    }

    private byte[] dataUri(String url, String param) {
        int comma = url.indexOf(',');
        if (comma < 0) {
            throw HttpApiException.invalid(param, "image_url data: URI has no ',' before its data");
        }
        String meta = url.substring(5, comma).toLowerCase(Locale.ROOT);
        if (!meta.endsWith(";base64")) {
            throw HttpApiException.invalid(param, "image_url data: URI must be base64 (data:image/png;base64,...)");
        }
        int encoded = url.length() - comma - 1;
        if ((long) encoded * 3 / 4 > maxImageBytes + 2L) {
            throw HttpApiException.invalid(param, "image is about " + encoded * 3L / 4 + " bytes; the limit is " + maxImageBytes);
        }
        try {
            return Base64.getDecoder().decode(url.substring(comma + 1));
        } catch (IllegalArgumentException e) {
            throw HttpApiException.invalid(param, "image_url data: URI is not valid base64: " + e.getMessage());
        }
    }

    private byte[] fetch(URI uri, String param) {
        try {
            HttpResponse<InputStream> r = http.send(HttpRequest.newBuilder(uri).timeout(timeout).GET().build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            try (InputStream in = r.body()) {
                if (r.statusCode() != 200) {
                    throw HttpApiException.invalid(param, "fetching image_url " + uri + " answered HTTP " + r.statusCode());
                }
                byte[] data = in.readNBytes(maxImageBytes + 1);
                if (data.length > maxImageBytes) {
                    throw HttpApiException.invalid(param, "image at " + uri + " is larger than the limit of "
                            + maxImageBytes + " bytes");
                }
                return data;
            }
        } catch (IOException e) {
            throw HttpApiException.invalid(param, "could not fetch image_url " + uri + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw HttpApiException.invalid(param, "fetching image_url " + uri + " was interrupted");
        }
    }
}
