#include "datasets/image_decode.hpp"

// jpeglib.h needs size_t and FILE declared first.
#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <jpeglib.h>
#include <png.h>

namespace ser::datasets {

namespace {

// libjpeg reports errors through a callback that must not return: it jumps
// back to decode_jpeg, which holds nothing that needs a destructor.
struct JpegErrors {
  jpeg_error_mgr mgr;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
  bool warned;
};

void jpeg_fail(j_common_ptr cinfo) {
  auto* e = reinterpret_cast<JpegErrors*>(cinfo->err);
  cinfo->err->format_message(cinfo, e->message);
  std::longjmp(e->jump, 1);
}

// Warnings (level -1) are data the decoder had to invent: premature end of
// data, corrupt entropy data. We stop at the first one.
void jpeg_warn(j_common_ptr cinfo, int level) {
  auto* e = reinterpret_cast<JpegErrors*>(cinfo->err);
  if (level < 0 && !e->warned) {
    e->warned = true;
    cinfo->err->format_message(cinfo, e->message);
    std::longjmp(e->jump, 1);
  }
}

// 0 on success; otherwise `why` holds libjpeg's message. `pixels` is sized by
// the caller's `reserve` callback once the header's size is known and checked.
int decode_jpeg(const unsigned char* data, unsigned long size, int64_t max_pixels, GrayImage* out, char* why) {
  jpeg_decompress_struct cinfo;
  JpegErrors errors;
  cinfo.err = jpeg_std_error(&errors.mgr);
  errors.mgr.error_exit = jpeg_fail;
  errors.mgr.emit_message = jpeg_warn;
  errors.warned = false;
  errors.message[0] = '\0';
  if (setjmp(errors.jump)) {
    std::snprintf(why, JMSG_LENGTH_MAX, "%s", errors.message);
    jpeg_destroy_decompress(&cinfo);
    return 1;
  }
  jpeg_create_decompress(&cinfo);
  jpeg_mem_src(&cinfo, data, size);
  jpeg_read_header(&cinfo, TRUE);
  if (static_cast<int64_t>(cinfo.image_width) * cinfo.image_height > max_pixels) {
    std::snprintf(why, JMSG_LENGTH_MAX, "image of %ux%u pixels is larger than allowed", cinfo.image_width,
                  cinfo.image_height);
    jpeg_destroy_decompress(&cinfo);
    return 1;
  }
  cinfo.out_color_space = JCS_GRAYSCALE;
  jpeg_start_decompress(&cinfo);
  out->width = static_cast<int>(cinfo.output_width);
  out->height = static_cast<int>(cinfo.output_height);
  out->pixels.resize(static_cast<size_t>(out->width) * static_cast<size_t>(out->height));
  while (cinfo.output_scanline < cinfo.output_height) {
    JSAMPROW row = out->pixels.data() + static_cast<size_t>(cinfo.output_scanline) * static_cast<size_t>(out->width);
    jpeg_read_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_decompress(&cinfo);
  jpeg_destroy_decompress(&cinfo);
  return 0;
}

std::optional<std::string> decode_png(std::string_view bytes, int64_t max_pixels, GrayImage& out) {
  png_image image;
  std::memset(&image, 0, sizeof image);
  image.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_memory(&image, bytes.data(), bytes.size()))
    return std::string("unreadable PNG: ") + image.message;
  if (static_cast<int64_t>(image.width) * image.height > max_pixels) {
    png_image_free(&image);
    return "image of " + std::to_string(image.width) + "x" + std::to_string(image.height) +
           " pixels is larger than allowed";
  }
  image.format = PNG_FORMAT_GRAY;
  out.width = static_cast<int>(image.width);
  out.height = static_cast<int>(image.height);
  out.pixels.resize(PNG_IMAGE_SIZE(image));
  if (!png_image_finish_read(&image, nullptr, out.pixels.data(), 0, nullptr))
    return std::string("unreadable PNG: ") + image.message;  // finish_read frees the image itself
  return std::nullopt;
}
}  // namespace

std::optional<std::string> decode_gray_image(std::string_view bytes, GrayImage& out, int64_t max_pixels) {
  out = {};
  const auto* data = reinterpret_cast<const unsigned char*>(bytes.data());
  if (bytes.size() >= 8 && png_sig_cmp(data, 0, 8) == 0) return decode_png(bytes, max_pixels, out);
  if (bytes.size() >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF) {
    char why[JMSG_LENGTH_MAX];
    if (decode_jpeg(data, bytes.size(), max_pixels, &out, why) != 0) {
      out = {};
      return std::string("unreadable JPEG: ") + why;
    }
    return std::nullopt;
  }
  return "not a JPEG or PNG image";
}

}  // namespace ser::datasets
