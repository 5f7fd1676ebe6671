#!/usr/bin/env bash
# Installs the Debian packages ser needs, only those that are missing.
# Safe to run again: with everything present it installs nothing.
# --test: also what only the tests need (clang and its runtimes for the fuzz targets).
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential   # g++ and make
  cmake
  zlib1g-dev        # gzip-compressed data sets (MNIST idx.gz); CRC-32 of model files
  libeigen3-dev     # small linear algebra (orthogonal init), references in tests
  doctest-dev       # unit tests
  pkg-config
  libsndfile1-dev   # audio in: WAV, FLAC, AIFF, OGG, detected by content
  libsoxr-dev       # resampling (librosa's default resampler is soxr HQ)
  libfftw3-dev      # FFTs for the STFT, double and single precision
  libbenchmark-dev  # bench/ (Google Benchmark)
  nlohmann-json3-dev  # JSON reports (ser data --json); the standard C++ JSON library
  libjpeg-dev libpng-dev  # FER2013's JPEG and PNG faces: libjpeg-turbo and libpng
  libyaml-cpp-dev   # experiment configs, with line numbers for every error
  espeak-ng         # ser demo: synthesises its labelled speech corpus (no download needed)
  # ser faces: image and video decoding and writing, camera capture, the Haar
  # face detector (OpenCV, the library the published face scripts use) and
  # its trained cascades
  libopencv-dev opencv-data
  # the audio track of containers libsndfile does not read (MP4, M4A, MKV,
  # WebM): FFmpeg's demuxers, decoders and sample-format converter
  libavformat-dev libavcodec-dev libswresample-dev
  # ser listen: the microphone (PortAudio)
  portaudio19-dev
  # several processes and machines (mpirun, srun): Open MPI, the standard
  # message passing library of C++ clusters, and its launcher
  libopenmpi-dev openmpi-bin
  # ser export and import: ONNX models through the ONNX project's protobuf
  # schema (libonnx-dev's onnx_proto on libprotobuf); no runtime is linked
  libonnx-dev libprotobuf-dev
  # import ser: the Python module (pybind11, for Debian's python3 and NumPy)
  pybind11-dev python3-dev python3-numpy
  # ser report: the notebook is executed and rendered to HTML by Jupyter's own tools
  python3-matplotlib python3-nbformat jupyter-nbconvert python3-ipykernel
)
if [ "${1:-}" = "--test" ]; then
  # clang with its libFuzzer, ASan and UBSan runtimes, its OpenMP and its linker: the sanitizer pass of scripts/test.sh
  packages+=(clang libclang-rt-14-dev libomp-dev lld)
  # the face pipeline's side-by-side comparison (bench/faces_compare.py): OpenCV's cv2 and PyTorch
  packages+=(python3-opencv python3-torch)
  # PyTorch's best on a CPU: its convolutions and products through OpenBLAS
  # (with Debian's reference BLAS it runs the FER CNN 2-4x slower)
  packages+=(libopenblas0-pthread)
  # ser faces --show in a real window, on a virtual display (test_faces)
  packages+=(xvfb xauth)
  # the container files test_dsp_media makes from a shared clip (MKV, M4A, MP4, WebM, MP3)
  packages+=(ffmpeg)
  # Praat itself, to check that tests/reference/voice_quality.json is what the installed Praat says (test_voice_quality)
  packages+=(praat)
  # ONNX's own checker on the exported models (tests/onnx_check.py)
  packages+=(python3-onnx)
  # scikit-learn beside the classical baselines (tests/classical_sklearn.py)
  packages+=(python3-sklearn)
  # report.html in a real browser (tests/report_in_chromium.sh): Debian's Chromium
  packages+=(chromium)
  # Node.js runs the browser and ONNX Runtime checks (tests/node); a machine with
  # its own Node.js (NodeSource's includes npm) keeps it
  command -v npm > /dev/null || packages+=(nodejs npm)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}"
else
  echo "setup: all packages present"
fi

if [ "${1:-}" = "--test" ]; then
  # tests/node's packages at the versions package-lock.json pins (Playwright,
  # pngjs, ONNX Runtime), into tests/node/node_modules; again only when the
  # lock changed. ONNX Runtime's install script would fetch CUDA binaries,
  # which the CPU tests do not use: skipped.
  node_dir=tests/node
  if ! cmp -s "$node_dir/package-lock.json" "$node_dir/node_modules/.ser-installed-lock.json"; then
    echo "setup: npm ci in $node_dir"
    ONNXRUNTIME_NODE_INSTALL=skip npm ci --prefix "$node_dir" --no-audit --no-fund --ignore-scripts --loglevel=error
    cp "$node_dir/package-lock.json" "$node_dir/node_modules/.ser-installed-lock.json"
  fi
fi
