import type { RawImage } from "@emotion/vision/web";

/** Largest frame width handed to the detector: BlazeFace sees 128 px anyway, the crop needs a little more. */
const DETECT_MAX_WIDTH = 640;
/** Width of the JPEG frames of the fallback path. */
const JPEG_WIDTH = 320;
const JPEG_QUALITY = 0.72;

/** Reads frames of a playing <video> into canvases, as RGBA pixels or as a small JPEG. */
export class FrameSource {
  private readonly canvas = document.createElement("canvas");
  private readonly context: CanvasRenderingContext2D;
  private readonly jpegCanvas = document.createElement("canvas");

  constructor(private readonly video: HTMLVideoElement) {
    const context = this.canvas.getContext("2d", { willReadFrequently: true });
    if (!context) throw new Error("2D canvas is not available");
    this.context = context;
  }

  /** True once the video has a decoded frame to read. */
  isReady(): boolean {
    return this.video.readyState >= HTMLMediaElement.HAVE_CURRENT_DATA && this.video.videoWidth > 0;
  }

  /** The current frame as RGBA pixels, scaled down to at most DETECT_MAX_WIDTH wide. */
  grabPixels(): RawImage {
    const { videoWidth, videoHeight } = this.video;
    const scale = Math.min(1, DETECT_MAX_WIDTH / videoWidth);
    const width = Math.round(videoWidth * scale);
    const height = Math.round(videoHeight * scale);
    if (this.canvas.width !== width || this.canvas.height !== height) {
      this.canvas.width = width;
      this.canvas.height = height;
    }
    this.context.drawImage(this.video, 0, 0, width, height);
    const { data } = this.context.getImageData(0, 0, width, height);
    return { width, height, channels: 4, data };
  }

  /** The current frame as a JPEG about JPEG_WIDTH pixels wide. */
  async grabJpeg(): Promise<Uint8Array> {
    const { videoWidth, videoHeight } = this.video;
    const scale = Math.min(1, JPEG_WIDTH / videoWidth);
    this.jpegCanvas.width = Math.round(videoWidth * scale);
    this.jpegCanvas.height = Math.round(videoHeight * scale);
    this.jpegCanvas.getContext("2d")!.drawImage(this.video, 0, 0, this.jpegCanvas.width, this.jpegCanvas.height);
    const blob = await new Promise<Blob | null>((resolve) => this.jpegCanvas.toBlob(resolve, "image/jpeg", JPEG_QUALITY));
    if (!blob) throw new Error("the browser could not encode a JPEG frame");
    return new Uint8Array(await blob.arrayBuffer());
  }
}
