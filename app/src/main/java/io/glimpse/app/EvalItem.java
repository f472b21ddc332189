package io.glimpse.app;

import com.google.protobuf.ByteString;
import io.glimpse.proto.v1.AskRequest;
import io.glimpse.proto.v1.Image;

import java.util.List;

/** One evaluation sample: one image, or a clip's frames in order. */
record EvalItem(List<byte[]> images, String question, String answer, String family) {
    AskRequest.Builder ask() {
        AskRequest.Builder b = AskRequest.newBuilder().setQuestion(question);
        images.forEach(i -> b.addImages(Image.newBuilder().setData(ByteString.copyFrom(i))));
        return b;
    }
}
