"""`import ser` from Debian's python3 (unittest, run by CTest as python_bindings).

The features equal `ser features` bit for bit and librosa 0.10.1's reference
values within the tolerances of tests/test_dsp_librosa.cpp; loading,
prediction and training agree with the command line; the GIL is released
while ser works; every bad input is a Python exception naming what is wrong.
Environment: SER_BINARY, SER_DATA, SER_REFERENCE, SER_DEMO_DIR (the demo's
run, CTest's demo_model fixture).
"""
import contextlib
import io
import json
import os
import subprocess
import tempfile
import threading
import unittest

import numpy as np

import ser

SER = os.environ["SER_BINARY"]
DATA = os.environ["SER_DATA"]
REFERENCE = os.path.join(os.environ["SER_REFERENCE"], "librosa")
DEMO = os.environ["SER_DEMO_DIR"]
TESS_FILE = os.path.join(DATA, "tess", "OAF_angry", "OAF_base_angry.flac")


def cli_feature(path, kind, options, dtype="float32"):
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "f.npy")
        subprocess.run([SER, "features", path, "--kind", kind, "--out", out, "--dtype", dtype, *options],
                       check=True, capture_output=True)
        return np.load(out)


# (ser.feature function, its keywords, ser features --kind, the same settings as options)
CASES = [
    ("mfcc", {"n_mfcc": 40}, "mfcc", ["--n-mfcc", "40"]),
    ("mfcc", {"n_mfcc": 13, "n_mels": 40, "htk": True, "norm": None, "n_fft": 512, "hop_length": 160, "win_length": 400},
     "mfcc", ["--n-mfcc", "13", "--n-mels", "40", "--htk", "--dct-norm", "none", "--n-fft", "512", "--hop", "160",
              "--win-length", "400"]),
    ("melspectrogram", {"n_mels": 64, "hop_length": 256, "fmax": 8000.0}, "mel",
     ["--n-mels", "64", "--hop", "256", "--fmax", "8000"]),
    ("chroma_stft", {}, "chroma", []),
    ("zero_crossing_rate", {"frame_length": 1024, "hop_length": 256}, "zcr", ["--n-fft", "1024", "--hop", "256"]),
    ("rms", {"center": False}, "rms", ["--no-center"]),
    ("spectral_centroid", {}, "centroid", []),
    ("spectral_bandwidth", {"p": 3}, "bandwidth", ["--bandwidth-p", "3"]),
    ("spectral_rolloff", {"roll_percent": 0.9}, "rolloff", ["--roll-percent", "0.9"]),
    ("spectral_flatness", {}, "flatness", []),
    ("spectral_contrast", {"n_bands": 4}, "contrast", ["--contrast-bands", "4"]),
]


class FeaturesAsTheCommandLine(unittest.TestCase):
    def test_every_function_equals_ser_features_bit_for_bit(self):
        y, sr = ser.load(TESS_FILE)
        for name, kwargs, kind, options in CASES:
            with self.subTest(name=name, kwargs=kwargs):
                ours = getattr(ser.feature, name)(y=y, sr=sr, **kwargs)
                cli = cli_feature(TESS_FILE, kind, options)
                self.assertEqual(ours.dtype, np.float32)
                self.assertEqual(ours.shape, cli.shape)
                self.assertTrue(np.array_equal(ours, cli), f"{name}: differs from ser features --kind {kind}")

    def test_float64_audio_gives_float64_features_as_the_command_line_writes_them(self):
        y, sr = ser.load(TESS_FILE)
        ours = ser.feature.mfcc(y=y.astype(np.float64), sr=sr)
        self.assertEqual(ours.dtype, np.float64)
        self.assertTrue(np.array_equal(ours, cli_feature(TESS_FILE, "mfcc", [], dtype="float64")))

    def test_layouts_do_not_change_the_result(self):
        y, sr = ser.load(TESS_FILE)
        plain = ser.feature.rms(y=y, sr=sr)
        strided = np.repeat(y, 2)[::2]  # every other element of a larger array: not contiguous
        self.assertFalse(strided.flags["C_CONTIGUOUS"])
        self.assertTrue(np.array_equal(ser.feature.rms(y=strided, sr=sr), plain))
        self.assertTrue(np.array_equal(ser.feature.rms(y=np.asfortranarray(y), sr=sr), plain))


class FeaturesAsLibrosa(unittest.TestCase):
    """librosa 0.10.1's values (../shared/reference/librosa): 1e-4 of the peak, 1e-3 dB for dB and MFCCs."""

    def check(self, ours, want, tolerance, peak):
        self.assertEqual(ours.shape, want.shape)
        error = np.max(np.abs(ours.astype(np.float64) - want))
        if peak:
            error /= np.max(np.abs(want))
        self.assertLessEqual(error, tolerance)
        return error

    def test_reference_values(self):
        with open(os.path.join(REFERENCE, "manifest.json")) as f:
            manifest = json.load(f)
        for case, info in manifest["files"].items():
            folder = os.path.join(REFERENCE, case)
            y = np.load(os.path.join(folder, "y.npy"))
            sr = info["sample_rate"]
            ref = lambda key: np.load(os.path.join(folder, key + ".npy"))
            with self.subTest(file=case):
                self.check(ser.feature.melspectrogram(y=y, sr=sr), ref("mel128_power"), 1e-4, True)
                self.check(ser.feature.mfcc(y=y, sr=sr), ref("mfcc20"), 1e-3, False)
                m40 = ser.feature.mfcc(y=y, sr=sr, n_mfcc=40)
                self.check(m40, ref("mfcc40"), 1e-3, False)
                self.check(ser.feature.delta(m40, width=9, order=1), ref("mfcc40_delta"), 1e-3, False)
                self.check(ser.feature.mfcc(y=y, sr=sr, n_mfcc=40, pad_mode="reflect"), ref("mfcc40_reflect"), 1e-3, False)
                self.check(ser.feature.mfcc(y=y, sr=sr, n_mfcc=13, n_mels=40, htk=True, norm=None, n_fft=512,
                                            hop_length=160, win_length=400), ref("mfcc13_htk"), 1e-3, False)
                self.check(ser.feature.zero_crossing_rate(y=y, frame_length=2048, hop_length=512), ref("zcr"), 1e-4, True)
                self.check(ser.feature.rms(y=y, frame_length=2048, hop_length=512), ref("rms"), 1e-4, True)
                self.check(ser.feature.chroma_stft(y=y, sr=sr), ref("chroma"), 1e-4, True)


class Loading(unittest.TestCase):
    def test_native_rate_offset_and_duration_in_samples_as_librosa(self):
        y, sr = ser.load(TESS_FILE)
        self.assertEqual((y.dtype, sr), (np.float32, 24414))
        part, _ = ser.load(TESS_FILE, offset=0.5, duration=0.25)
        start, n = int(0.5 * sr), int(0.25 * sr)
        self.assertTrue(np.array_equal(part, y[start:start + n]))
        y16, sr16 = ser.load(TESS_FILE, sr=16000)
        self.assertEqual(sr16, 16000)
        self.assertLess(abs(len(y16) - len(y) * 16000 / sr), 2)

    def test_bad_files_and_settings_are_exceptions(self):
        with self.assertRaisesRegex(FileNotFoundError, "nowhere.wav"):
            ser.load("/nowhere.wav")
        with self.assertRaisesRegex(RuntimeError, "'/etc/hostname': not an audio file"):
            ser.load("/etc/hostname")
        with self.assertRaisesRegex(ValueError, "offset"):
            ser.load(TESS_FILE, offset=-1.0)


class BadInput(unittest.TestCase):
    def test_each_refusal_names_the_problem(self):
        y, sr = ser.load(TESS_FILE)
        with self.assertRaisesRegex(ValueError, "n_fft must be between 2 and 65536, got -3"):
            ser.feature.mfcc(y=y, sr=sr, n_fft=-3)
        with self.assertRaisesRegex(TypeError, "unexpected keyword argument 'n_mfc'"):
            ser.feature.mfcc(y=y, sr=sr, n_mfc=13)
        with self.assertRaisesRegex(ValueError, r"mono audio, a 1-D array; got shape \(2, 10\)"):
            ser.feature.mfcc(y=np.zeros((2, 10), np.float32), sr=sr)
        with self.assertRaisesRegex(TypeError, "float32 or float64"):
            ser.feature.rms(y=np.zeros(100, np.int16))
        with self.assertRaisesRegex(ValueError, "not finite"):
            ser.feature.rms(y=np.array([0.0, np.nan] * 100, np.float32))
        with self.assertRaisesRegex(ValueError, "dct_type=2 only"):
            ser.feature.mfcc(y=y, sr=sr, dct_type=3)
        with self.assertRaisesRegex(ValueError, "sr must be a positive"):
            ser.feature.mfcc(y=y, sr=0)
        with self.assertRaisesRegex(ValueError, "n_mfcc"):
            ser.feature.mfcc(y=y, sr=sr, n_mfcc=200)
        with self.assertRaisesRegex(TypeError, "is for loading"):
            ser.feature.mfcc(y=y, sr=sr, offset=1.0)


class Gil(unittest.TestCase):
    def test_python_threads_run_while_ser_computes(self):
        y, sr = ser.load(TESS_FILE)
        long = np.tile(y, 40)  # a minute of audio: ser works for a while
        count, stop = [0], threading.Event()

        def spin():
            while not stop.is_set():
                count[0] += 1

        t = threading.Thread(target=spin)
        t.start()
        before = count[0]
        ser.feature.mfcc(y=long, sr=sr, n_mfcc=40)
        during = count[0] - before
        stop.set()
        t.join()
        # Holding the GIL, ser would leave the thread stopped for the whole call.
        self.assertGreater(during, 10000)


class PredictAndTrain(unittest.TestCase):
    def demo_files(self):
        corpus = os.path.join(DEMO, "corpus")
        classes = [c for c in sorted(os.listdir(corpus)) if os.path.isdir(os.path.join(corpus, c))]
        return [os.path.join(corpus, c, sorted(os.listdir(os.path.join(corpus, c)))[0]) for c in classes]

    def test_predict_equals_the_command_line(self):
        files = self.demo_files()
        ours = ser.predict(files, os.path.join(DEMO, "run"))
        cli = json.loads(subprocess.run([SER, "predict", *files, "--model", os.path.join(DEMO, "run"), "--json"],
                                        check=True, capture_output=True, text=True).stdout)
        self.assertEqual([p["emotion"] for p in ours], [p["emotion"] for p in cli])
        for a, b in zip(ours, cli):
            for label, p in a["probabilities"].items():
                self.assertAlmostEqual(p, b["probabilities"][label], places=5)

    def test_predict_refuses_or_skips_a_bad_file(self):
        files = self.demo_files()[:2] + ["/etc/hostname"]
        with self.assertRaisesRegex(RuntimeError, "/etc/hostname"):
            ser.predict(files, os.path.join(DEMO, "run"))
        skipped = ser.predict(files, os.path.join(DEMO, "run"), errors="skip")
        self.assertIn("emotion", skipped[0])
        self.assertIn("not an audio file", skipped[2]["error"])
        with self.assertRaises(FileNotFoundError):
            ser.predict(files, "/no/model")

    def test_train_returns_its_run_and_load_run_reads_it(self):
        with tempfile.TemporaryDirectory() as tmp:
            log = io.StringIO()
            with contextlib.redirect_stdout(log):  # the log reaches Python's sys.stdout (a notebook's cell)
                run = ser.train(os.path.join(DEMO, "demo.yaml"), {"training.epochs": 2, "output": tmp},
                                cache=os.path.join(DEMO, "cache"))
            self.assertIn("WA (accuracy)", log.getvalue())
            self.assertTrue(run.startswith(tmp))
            loaded = ser.load_run(run)
            with open(os.path.join(run, "metrics.json")) as f:
                metrics = json.load(f)
            self.assertEqual(loaded["metrics"], metrics)
            self.assertEqual(loaded["history"]["epoch"], [1.0, 2.0])
            self.assertEqual(len(loaded["history"]["val_accuracy"]), 2)
            self.assertTrue(os.path.exists(loaded["model"]))
            self.assertIn("name: demo_espeak", loaded["config"])
            self.assertTrue(ser.predict(self.demo_files()[:1], run)[0]["emotion"])

    def test_train_refuses_bad_configs_as_the_command_line(self):
        with self.assertRaises(FileNotFoundError):
            ser.train("/no/config.yaml")
        with self.assertRaisesRegex(ValueError, "training.epochs must be an integer, got 'ten'"):
            ser.train(os.path.join(DEMO, "demo.yaml"), {"training.epochs": "ten"})
        with self.assertRaisesRegex(ValueError, "not a finished run folder"):
            ser.load_run("/tmp")


if __name__ == "__main__":
    unittest.main()
