# Praat's voice-quality measures of one file, the way voice reports and most
# SER papers take them: pulses by "To PointProcess (periodic, cc)" 75-600 Hz;
# local jitter and shimmer with periods 0.1-20 ms, period factor 1.3,
# amplitude factor 1.6; HNR by "To Harmonicity (cc)" (10 ms, 75 Hz, silence
# 0.1, 1 period per window), mean over voiced frames.
form Voice quality
  sentence file
endform
sound = Read from file: file$
pulses = To PointProcess (periodic, cc): 75, 600
jitter = Get jitter (local): 0, 0, 0.0001, 0.02, 1.3
n = Get number of points
selectObject: sound, pulses
shimmer = Get shimmer (local): 0, 0, 0.0001, 0.02, 1.3, 1.6
selectObject: sound
harmonicity = To Harmonicity (cc): 0.01, 75, 0.1, 1.0
hnr = Get mean: 0, 0
writeInfoLine: fixed$ (jitter, 10), " ", fixed$ (shimmer, 10), " ", fixed$ (hnr, 10), " ", n
