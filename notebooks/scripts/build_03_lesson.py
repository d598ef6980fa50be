"""Write the Domain 3 lesson, ``notebooks/03_image_classification.ipynb``, from the cells below.

The notebook is stored without outputs (``tfcert.notebooks.write``), so this file
is its source: edit a cell here, run the script, and the notebook is rewritten
with the same cell ids, which keeps diffs small.

Example:
    python notebooks/scripts/build_03_lesson.py
"""

from __future__ import annotations

from pathlib import Path

from lesson_cells import LessonCells

from tfcert import HEADER_CELL

HERE = Path(__file__).resolve().parent
OUT = HERE.parent / "03_image_classification.ipynb"
CELLS = LessonCells()
md, code = CELLS.md, CELLS.code


# --------------------------------------------------------------------------------------------------
md("title", """
# Domain 3: Image classification with convolutional networks

[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/tfcert-course/tfcert/blob/main/notebooks/03_image_classification.ipynb)
""")

md("overview", """
## Overview

Domain 2 classified small, centred, grayscale glyphs with `Dense` layers. Real photographs are
different: they are in colour, they come as files of every size, and the thing to recognise can sit
anywhere in the frame, at any angle. This domain brings the tools for them: convolutional layers
that look for the same small patterns everywhere in an image, the two ways Keras reads image folders
and turns folder names into labels, image sizes, and augmentation for when there are few photos.

**What you will learn**

| ID | Skill | In this notebook |
|----|-------|------------------|
| D3.01 | Define convolutional networks with Conv2D and pooling layers | hand-made edge filters on a photograph, `Conv2D` with set weights, what `MaxPooling2D` does to the shape, a small CNN read layer by layer |
| D3.02 | Build and train models on real-world image datasets | a five-class CNN trained from JPEG folders, evaluated, a confusion matrix, saved |
| D3.03 | Understand how convolutions improve a network on images | the trained network's feature maps; dense networks against the CNN on the same images, measured |
| D3.04 | Use real-world images of different shapes and sizes | the sizes of the photographs; stretch, crop or pad; a saved model that takes any size |
| D3.05 | Use image augmentation to prevent overfitting | random flips, turns, zooms and shifts inside the model; 300 photographs with and without |
| D3.06 | Use ImageDataGenerator (and its Keras 3 replacements) | the legacy `ImageDataGenerator` and `flow_from_directory`, what its arguments become in Keras 3 |
| D3.07 | Understand how ImageDataGenerator labels images from the directory structure | folder names to class numbers, the sort order, `class_mode` and `label_mode`, losses that do not fit |

**Time needed:** about 90 minutes to read and experiment. Running every cell takes about four
minutes on a laptop CPU; no GPU is needed. The very first run takes a few seconds more: the course
package writes the photographs to disk once.

**How it maps to the exam:** an image task gives you a folder of photographs, one subfolder per
class, and the input shape the model must take, for example `(150, 150, 3)`. You build a
convolutional network, read the folders, train, and save the model; the grader then feeds it images
you never saw. Two things decide whether it can even be graded: the input shape and the pixel scale
it expects (D3.04, D3.06), and the number and order of its outputs, which come from the folder names
(D3.07). Overfitting on a few hundred photos is the usual obstacle to the target accuracy (D3.05).

**Aim for a margin.** As in Domain 2: the starting weights are random, the data is shuffled
differently on every run, and the grader measures on photos you never saw. Aim a few points above a
target rather than just at it.

**About the exam itself:** this course states nothing about the certificate exam's current status,
fees or dates; for those, see the official page, https://www.tensorflow.org/certificate.

**Data:** the course package makes both sets on your machine, so the notebook runs offline. Each
photograph is a coloured symbol, drawn from one of matplotlib's fonts, outlined, turned a little and
painted somewhere over a crop of a real photograph (the sample photos that scikit-learn and
matplotlib ship). They come as JPEG files of different sizes, 120 to 260 pixels a side.
- `scenes`: five classes (airplane, anchor, snowflake, sun, umbrella), 1,000 training and 250
  validation photos; the course's stand-in for rock-paper-scissors.
- `scenes_binary`: two classes (a chess knight, `horse`, and a chess `king`), 600 training and 150
  validation photos; the stand-in for horses-or-humans.
""")

md("setup", """
## Setup

The first code cell is the same in every notebook of this course. It quiets TensorFlow's start-up
logging, fixes the random seeds so your numbers match the text, installs the course package when
you are on Colab, and prints which devices TensorFlow found. Run it first. On a computer without an
NVIDIA GPU you may see a few lines about CUDA: they are harmless.
""")

code("header", HEADER_CELL)

md("imports-intro", """
Then the rest of the imports, all in one place. Every model this notebook trains is saved under
`models/`, next to the notebook. All the networks here look at photographs shrunk to 64x64 pixels:
big enough to tell the symbols apart, small enough to train in seconds on a CPU.
""")

code("imports", """
import tempfile
import time
from pathlib import Path

import keras
import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf
from PIL import Image

from tfcert import datasets, plots

tf.get_logger().setLevel("ERROR")  # TensorFlow's Python logger: errors only
os.makedirs("models", exist_ok=True)  # model.save does not create folders
AUTOTUNE = tf.data.AUTOTUNE
SIDE = 64  # every network of this notebook takes SIDE x SIDE colour images
print("TensorFlow", tf.__version__, "| Keras", keras.__version__)
""")

# --------------------------------------------------------------------------------------------------
md("d3-01", """
## D3.01 Convolutions and pooling: Conv2D and MaxPooling2D

A `Dense` layer sees an image as one long row of numbers. Each of its units has a separate weight for
every pixel, so an edge in the top-left corner and the same edge in the middle are two unrelated
things to it, to be learned twice.

A **convolution** works the other way round. It takes a small grid of weights, the *filter* or
*kernel*, typically 3x3, and slides it across the image. At each position it multiplies the 3x3
pixels under it by the 9 weights and adds the products up: one number per position. Together these
numbers form a new image, a *feature map*, which is bright where the neighbourhood looks like the
filter and dark elsewhere. The same 9 weights serve every position.

Before a network learns its own filters, set a few by hand to see what filters do. The course package
writes the `scenes` photographs as JPEG files, one folder per class (the first time takes about ten
seconds; afterwards the files are reused). Take one of them and average its three colour channels
into a single brightness channel:
""")

code("d3-01-image", """
SCENES = datasets.to_image_folders("scenes")  # writes the JPEG files the first time, then reuses them
photo_path = sorted((SCENES / "validation" / "umbrella").glob("*.jpg"))[0]
photo = np.asarray(Image.open(photo_path), dtype="float32") / 255.0  # (height, width, 3), values in [0, 1]
gray = photo.mean(axis=-1)  # (height, width): brightness only
print(photo_path.name, "| colour:", photo.shape, "| grayscale:", gray.shape)
""")

md("d3-01-filters-intro", """
Three hand-made 3x3 filters:

- **vertical edges**: the right column minus the left column. Zero where brightness is the same on
  both sides, large where it changes from left to right.
- **horizontal edges**: the same turned a quarter turn, for changes from top to bottom.
- **outlines**: eight times the centre pixel minus its eight neighbours. Zero on flat areas, large
  on any boundary, whatever its direction.

`tf.nn.conv2d` applies them all in one call. It wants a batch of images, `(batch, height, width,
channels)`, and the filters stacked as `(filter height, filter width, input channels, filters)`:
""")

code("d3-01-filters", """
vertical = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype="float32")  # change from left to right
horizontal = vertical.T  # change from top to bottom
outline = np.array([[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]], dtype="float32")  # differs from its neighbours
filters = np.stack([vertical, horizontal, outline], axis=-1)[:, :, np.newaxis, :]  # (3, 3, 1 channel in, 3 out)
images = gray[np.newaxis, :, :, np.newaxis]  # a batch of one single-channel image
feature_maps = tf.nn.conv2d(images, filters, strides=1, padding="VALID")
print("image", images.shape, "with filters", filters.shape, "->", feature_maps.shape)

fig, axes = plt.subplots(1, 4, figsize=(13, 3.6))
axes[0].imshow(photo)
axes[0].set_title("the photograph")
for ax, k, name in zip(axes[1:], range(3), ["vertical edges", "horizontal edges", "outlines"]):
    ax.imshow(np.abs(feature_maps[0, :, :, k]), cmap="magma")  # large = strong response, either sign
    ax.set_title(name)
for ax in axes:
    ax.axis("off")
plt.show()
""")

md("d3-01-filters-read", """
Each map lights up where its pattern is: the petals of the flower and the outline of the umbrella,
the first map favouring edges that run up and down, the second edges that run across, the third any
border at all, while the flat background and the flat colour inside the umbrella stay dark. Look
at the shapes, too: with `padding="VALID"` the 3x3 window only visits positions where it fits
entirely inside the image, so each map is two pixels narrower and two pixels shorter than the
photograph.

**A `Conv2D` layer** is this very operation, plus one bias per filter and an activation, and with
weights it learns instead of weights you type. Give one the hand-made filters with `set_weights` and
it draws the same maps. Its kernel has the shape `(3, 3, input channels, filters)`, so 16 filters on
a colour image hold 3 x 3 x 3 x 16 = 432 weights and 16 biases, whatever the size of the image:
""")

code("d3-01-layer", """
conv = keras.layers.Conv2D(filters=3, kernel_size=(3, 3), use_bias=False)
conv.build(images.shape)  # creates the kernel, now that the number of input channels (1) is known
print("kernel shape:", tuple(conv.kernel.shape))
conv.set_weights([filters])
same = np.allclose(conv(images), feature_maps, atol=1e-4)
print("Conv2D with the hand-made weights gives the same maps:", same)

colour_batch = photo[np.newaxis]  # (1, height, width, 3)
learned = keras.layers.Conv2D(16, 3, activation="relu")
print(f"Conv2D(16, 3) on {colour_batch.shape}: output {learned(colour_batch).shape}, "
      f"{learned.count_params()} parameters")
print(f"with padding='same':            output {keras.layers.Conv2D(16, 3, padding='same')(colour_batch).shape}")
""")

md("d3-01-args", """
The arguments you will set on `Conv2D`:

| argument | what it means |
|---|---|
| `filters` | how many filters, which is how many feature maps come out (the last axis of the output) |
| `kernel_size` | the window: `3` means 3x3 |
| `activation` | usually `"relu"`: keeps the positive responses, zeroes the rest |
| `padding` | `"valid"` (default): no border, the output shrinks by `kernel_size - 1`; `"same"`: zeros around the image, the output keeps its height and width |
| `strides` | the step of the window; `1` by default, `2` halves the height and width |

The input must have four axes, `(batch, height, width, channels)`. A grayscale image without a channel
axis needs one added first (D2.12).

**Pooling** shrinks feature maps. `MaxPooling2D()` cuts each map into squares of 2x2 numbers and keeps
the largest of each four. Height and width are halved (rounded down), the number of channels stays
the same, and there is nothing to learn. A small example, then the vertical-edge map pooled twice:
""")

code("d3-01-pool", """
grid = (np.arange(16, dtype="float32") % 7).reshape(1, 4, 4, 1)  # a batch of one 4x4 single-channel image
pooled = keras.layers.MaxPooling2D(pool_size=2)(grid)
print("a 4x4 map:\\n", grid[0, :, :, 0])
print("after MaxPooling2D, the largest of each 2x2 square:\\n", pooled.numpy()[0, :, :, 0])

edges = tf.abs(feature_maps[..., :1])  # the vertical-edge map, (1, height, width, 1)
halved = keras.layers.MaxPooling2D()(edges)
quartered = keras.layers.MaxPooling2D()(halved)
fig, axes = plt.subplots(1, 3, figsize=(10, 3.4))
for ax, feature_map, name in zip(axes, [edges, halved, quartered], ["edge map", "pooled once", "pooled twice"]):
    ax.imshow(feature_map[0, :, :, 0], cmap="magma")
    ax.set_title(f"{name}: {feature_map.shape[1]} x {feature_map.shape[2]}")
    ax.axis("off")
plt.show()
""")

md("d3-01-pool-read", """
Pooled twice, the map holds a sixteenth of the numbers, and the umbrella's edges are still there.
Pooling buys three things: less work for the layers that follow; a little tolerance to position (an
edge that moves by one pixel often stays in the same 2x2 square, and so gives the same maximum); and
a wider view for the next convolution, whose 3x3 window now covers a 6x6 patch of the original.

**A convolutional network (CNN)** stacks blocks of `Conv2D` then `MaxPooling2D`. The first block
finds edges and spots of colour; the next ones combine them into corners, curves and then parts of
objects. Since every pooling shrinks the maps, deeper blocks can afford more filters. At the end,
`Flatten` turns the last maps into one row of numbers, and `Dense` layers classify it, as in Domain 2.

The function below builds the network used throughout this notebook. It starts with a
`Rescaling(1 / 255)` layer, so the model takes pixels from 0 to 255 as image files hold them (D3.02
explains why that matters), uses `Dropout` against overfitting, and takes optional lists of layers:
`augmentation` goes in front (D3.05). The output layer and the loss can be changed too, for D3.07.
""")

code("d3-01-model", """
def scenes_cnn(num_classes=5, augmentation=(), dropout=0.5, activation="softmax",
               loss="sparse_categorical_crossentropy", name="scenes_cnn"):
    \"\"\"A small CNN: SIDE x SIDE colour images with pixels from 0 to 255 -> one output per class.\"\"\"
    keras.utils.set_random_seed(42)  # the same starting weights on every run
    model = keras.Sequential([
        keras.Input(shape=(SIDE, SIDE, 3)),
        *augmentation,  # random changes while training (D3.05); none by default
        keras.layers.Rescaling(1 / 255),  # 0-255 -> 0-1, inside the model
        keras.layers.Conv2D(16, 3, activation="relu"),
        keras.layers.MaxPooling2D(),
        keras.layers.Conv2D(32, 3, activation="relu"),
        keras.layers.MaxPooling2D(),
        keras.layers.Conv2D(64, 3, activation="relu"),
        keras.layers.MaxPooling2D(),
        keras.layers.Flatten(),
        keras.layers.Dropout(dropout),
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dense(num_classes, activation=activation),
    ], name=name)
    model.compile(optimizer="adam", loss=loss, metrics=["accuracy"])
    return model


scenes_model = scenes_cnn()
scenes_model.summary()
""")

md("d3-01-model-read", """
**Reading the summary.** Follow the height and width down the *Output Shape* column: 64 becomes 62
after the first 3x3 convolution (no padding), 31 after pooling, then 29, 14, 12 and 6. The last
block leaves 6 x 6 maps from 64 filters, 2,304 numbers, which `Flatten` lines up for the `Dense`
layers. The parameters tell the other half of the story: the three convolutions hold 448, 4,640 and
18,496 (each is `3 x 3 x channels in x filters + filters`), about 24,000 together, while the one
`Dense` layer after `Flatten` holds 2,304 x 64 + 64 = 147,520. Most of a small CNN's weights sit in
its first `Dense` layer; each extra pooling before `Flatten` makes that layer four times smaller.
""")

# --------------------------------------------------------------------------------------------------
md("d3-02", """
## D3.02 Train a convolutional network on real-world images

Photographs usually arrive as files, one folder per class, the layout the exam uses too. The course
package wrote `scenes` that way in D3.01:
""")

code("d3-02-folders", """
print(SCENES)
for split in ("train", "validation"):
    counts = {folder.name: len(list(folder.glob("*.jpg"))) for folder in sorted((SCENES / split).iterdir())}
    print(f"{split + '/':12s}", counts)
""")

md("d3-02-show-intro", """
Look before modelling. Two photographs of each class, at their own sizes (width x height):
""")

code("d3-02-show", """
fig, axes = plt.subplots(2, 5, figsize=(13, 5.4))
for column, folder in enumerate(sorted((SCENES / "train").iterdir())):
    for row, path in enumerate(sorted(folder.glob("*.jpg"))[:2]):
        with Image.open(path) as picture:
            axes[row, column].imshow(picture)
            axes[row, column].set_title(f"{folder.name}, {picture.width} x {picture.height}", fontsize=9)
        axes[row, column].axis("off")
plt.show()
""")

md("d3-02-load-intro", """
The symbol can be anywhere, at any angle, in any colour, over very different backgrounds: exactly
what defeats a `Dense` network (D3.03 measures it).

`keras.utils.image_dataset_from_directory` (met in D2.17) reads the folders. `image_size=(SIDE,
SIDE)` resizes every photograph as it is read (D3.04 looks at the options); the subfolder names
become the classes, numbered in alphabetical order (D3.07). With `batch_size=None` it yields single
images, which lets the pipeline follow the order of D2.15: `cache` the decoded images once, then
`shuffle` images (not whole batches) at every epoch, then `batch` and `prefetch`. Take
`class_names` from the dataset before transforming it: the transformed dataset does not carry it.
""")

code("d3-02-load", """
train_images = keras.utils.image_dataset_from_directory(
    SCENES / "train", image_size=(SIDE, SIDE), batch_size=None, shuffle=True, seed=42)
val_images = keras.utils.image_dataset_from_directory(
    SCENES / "validation", image_size=(SIDE, SIDE), batch_size=None, shuffle=False)
CLASS_NAMES = train_images.class_names
print("classes:", CLASS_NAMES)

train_ds = train_images.cache().shuffle(1000, seed=42).batch(32).prefetch(AUTOTUNE)
val_ds = val_images.cache().batch(64).prefetch(AUTOTUNE)  # same order every time: good for evaluating

images, labels = next(iter(train_images.batch(8)))
print("a batch:", images.shape, images.dtype.name,
      f"pixels {float(tf.reduce_min(images)):.0f} to {float(tf.reduce_max(images)):.0f}",
      "| labels:", labels.shape, labels.dtype.name, labels.numpy())
""")

md("d3-02-fit-intro", """
Pixels come as `float32` from 0 to 255, and the labels as class numbers, which suits
`sparse_categorical_crossentropy`. The model divides by 255 itself, in its `Rescaling` layer: a model
saved that way takes images the way files hold them, and nobody has to remember to scale them before
predicting. (Domain 2 divided in the pipeline with `map`; both work, but only the layer travels with
the saved model.)

Train for 20 epochs. `verbose=2` prints one line per epoch; `shuffle=False` because the dataset
shuffles itself.
""")

code("d3-02-fit", """
EPOCHS = 20
start = time.perf_counter()
scenes_history = scenes_model.fit(train_ds, validation_data=val_ds, epochs=EPOCHS, shuffle=False, verbose=2)
cnn_seconds = time.perf_counter() - start
scenes_model.save("models/scenes_cnn.keras")
tfcert.save_history(scenes_history, "models/scenes_cnn.keras")
print(f"trained in {cnn_seconds:.0f} s, saved to models/scenes_cnn.keras")
""", train=True)

code("d3-02-curves", """
plots.plot_history(scenes_history, title="scenes_cnn: 1,000 photographs, five classes")
plt.show()
""")

md("d3-02-curves-read", """
For the first two or three epochs little happens: accuracy stays near chance (20 % with five
classes) while the first filters become useful. Then validation accuracy climbs fast, passes 70 %
within a few epochs, and ends around 80 to 85 % after 20 epochs and about half a minute on a laptop
CPU. The validation curve stays some points below the training curve and moves by a few points from
one epoch to the next (with 250 validation photos, one photo is 0.4 points).

**Evaluate** and look at which classes are confused. The validation dataset is not shuffled, so its
labels can be collected in the same order as the predictions:
""")

code("d3-02-evaluate", """
val_loss, val_accuracy = scenes_model.evaluate(val_ds, verbose=0)
print(f"validation: loss {val_loss:.3f}, accuracy {val_accuracy:.3f}")

val_labels = np.concatenate([y.numpy() for _, y in val_ds])
val_predictions = scenes_model.predict(val_ds, verbose=0).argmax(axis=1)
confusion = tf.math.confusion_matrix(val_labels, val_predictions, num_classes=len(CLASS_NAMES)).numpy()

fig, ax = plt.subplots(figsize=(5, 4.4))
ax.imshow(confusion, cmap="Blues")
ax.set_xticks(range(len(CLASS_NAMES)), CLASS_NAMES, rotation=45)
ax.set_yticks(range(len(CLASS_NAMES)), CLASS_NAMES)
ax.set_xlabel("predicted")
ax.set_ylabel("true")
for i in range(len(CLASS_NAMES)):
    for j in range(len(CLASS_NAMES)):
        ax.text(j, i, confusion[i, j], ha="center", va="center",
                color="white" if confusion[i, j] > confusion.max() / 2 else "black")
ax.set_title("scenes_cnn on the validation photos")
plt.show()
""")

md("d3-02-grid-intro", """
And a few answers in pictures, as the model saw them (64x64), wrong ones in red:
""")

code("d3-02-grid", """
shown = val_images.skip(2).shard(num_shards=25, index=0).batch(16)  # every 25th validation photo
images, labels = next(iter(shown))
probabilities = scenes_model.predict(images, verbose=0)
fig, axes = plt.subplots(2, 5, figsize=(12, 5.2))
for ax, image, label, row in zip(axes.flat, images, labels, probabilities):
    guess = row.argmax()
    ax.imshow(image.numpy().astype("uint8"))
    ax.set_title(f"{CLASS_NAMES[guess]} {row[guess]:.0%}\\n(true: {CLASS_NAMES[label]})", fontsize=9,
                 color="tab:green" if guess == label else "tab:red")
    ax.axis("off")
plt.show()
""")

# --------------------------------------------------------------------------------------------------
md("d3-03", """
## D3.03 What convolutions bring: a dense network against a CNN

**What the trained filters see.** A model's layers can be read one by one: `keras.Model(inputs=...,
outputs=layer.output)` makes a model that stops at any layer. Here are the 16 feature maps of
`scenes_model`'s first `Conv2D` layer for one validation photograph:
""")

code("d3-03-maps", """
first_conv = next(layer for layer in scenes_model.layers if isinstance(layer, keras.layers.Conv2D))
first_layer_model = keras.Model(inputs=scenes_model.inputs, outputs=first_conv.output)
image = next(iter(val_ds))[0][:1]  # a batch of one validation photo, pixels 0-255
maps = first_layer_model(image)[0].numpy()
print("input", tuple(image.shape), "->", first_conv.name, "output", maps.shape)

fig, axes = plt.subplots(2, 9, figsize=(14, 3.6))
axes[0, 0].imshow(image[0].numpy().astype("uint8"))
axes[0, 0].set_title("input", fontsize=9)
for k, ax in enumerate(list(axes[0, 1:]) + list(axes[1, 1:])):
    ax.imshow(maps[:, :, k], cmap="magma")
    ax.set_title(f"filter {k}", fontsize=9)
for ax in axes.flat:
    ax.axis("off")
plt.show()
""")

md("d3-03-maps-read", """
Nobody told the network to look for edges, yet several of its learned filters respond to the
symbol's outline or to particular colours, much like the hand-made filters of D3.01; a few maps are
almost empty (ReLU zeroes every negative response, and a filter can stay unused). The later layers
work on these maps, not on raw pixels.

**Why a CNN needs so few weights.** A convolution reuses its few weights at every position, and
looks only at neighbouring pixels. A `Dense` layer connects everything to everything. To produce as
many numbers as the first `Conv2D` layer (62 x 62 positions times 16 filters), a `Dense` layer would
need:
""")

code("d3-03-sharing", """
outputs = 62 * 62 * 16
conv_parameters = first_conv.count_params()
dense_parameters = SIDE * SIDE * 3 * outputs + outputs  # one weight per input pixel and output, plus biases
print(f"the first Conv2D layer:                 {conv_parameters:>13,} parameters for {outputs:,} outputs")
print(f"a Dense layer with as many outputs:     {dense_parameters:>13,} parameters")
""")

md("d3-03-race-intro", """
Does this matter once trained? Put dense networks on the same photographs, with the same pipeline,
optimizer and number of epochs. The first has about the same number of parameters as `scenes_cnn`: a
hidden layer of 14 units on the 12,288 pixel values (64 x 64 x 3). The second has 256 hidden units,
about 18 times more parameters than the CNN.
""")

code("d3-03-race", """
def scenes_dense(units, name):
    \"\"\"Pixels -> one hidden Dense layer -> five probabilities, trained like scenes_cnn.\"\"\"
    keras.utils.set_random_seed(42)
    model = keras.Sequential([
        keras.Input(shape=(SIDE, SIDE, 3)),
        keras.layers.Rescaling(1 / 255),
        keras.layers.Flatten(),
        keras.layers.Dense(units, activation="relu"),
        keras.layers.Dense(len(CLASS_NAMES), activation="softmax"),
    ], name=name)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


race = {"scenes_cnn": (scenes_model, scenes_history, cnn_seconds)}
for units in (14, 256):
    dense_model = scenes_dense(units, name=f"dense_{units}")
    start = time.perf_counter()
    dense_history = dense_model.fit(train_ds, validation_data=val_ds, epochs=EPOCHS, shuffle=False, verbose=0)
    race[dense_model.name] = (dense_model, dense_history, time.perf_counter() - start)

print(f"{'model':11s} {'parameters':>10s} {'training acc.':>14s} {'validation acc.':>16s} {'seconds':>8s}   "
      "validation photos predicted per class")
for name, (model, history, seconds) in race.items():
    predicted = model.predict(val_ds, verbose=0).argmax(axis=1)
    print(f"{name:11s} {model.count_params():>10,} {history.history['accuracy'][-1]:>14.3f} "
          f"{history.history['val_accuracy'][-1]:>16.3f} {seconds:>8.0f}   {np.bincount(predicted, minlength=5)}")
print("true number per class:", " " * 47, np.bincount(val_labels, minlength=5))
""", train=True)

code("d3-03-race-plot", """
fig, ax = plt.subplots(figsize=(6.5, 3.6))
for (name, (model, history, _)), style in zip(race.items(), ["o-", "s--", "^:"]):
    curve = history.history["val_accuracy"]
    ax.plot(range(1, len(curve) + 1), curve, style, label=f"{name} ({model.count_params():,} parameters)")
ax.axhline(1 / len(CLASS_NAMES), color="gray", linestyle=":", label="chance")
ax.set_xlabel("epoch")
ax.set_ylabel("validation accuracy")
ax.set_title("Same photographs, same training: dense against convolutional")
ax.grid(alpha=0.3)
ax.legend(fontsize=8)
plt.show()
""")

md("d3-03-race-read", """
The difference is not subtle. With the same parameter budget, the dense network never gets off the
ground: it ends up giving the same class to every photo (the last column), which is worth about
20 %, chance with five classes. Eighteen times more parameters do not rescue it: the wide network
learns its training photos (its training accuracy climbs far above its validation accuracy) but
stays around 25 to 30 % on new ones. The CNN, with as few parameters as the small dense network,
reaches about 80 to 85 %.

The reason is the one the filters showed. Whether a photo shows an anchor does not depend on where the
anchor is, and a convolution finds the same edge anywhere with the same weights, while pooling and
the following blocks assemble edges into larger shapes. A dense unit would have to learn the anchor
separately at every position, every size and every angle, from 200 examples per class. Looking at
neighbours only, with the same weights everywhere, is knowledge about images built into the layer,
and the reason convolutions are the default for image data.
""")

# --------------------------------------------------------------------------------------------------
md("d3-04", """
## D3.04 Images of different shapes and sizes

Photographs rarely share one size. Reading only the header of each file (PIL does not decode the
pixels for `.size`), here are the sizes of the 1,000 training photographs:
""")

code("d3-04-sizes", """
def image_size(path):
    \"\"\"(width, height) of an image file, read from its header.\"\"\"
    with Image.open(path) as picture:
        return picture.size


sizes = np.array([image_size(path) for path in sorted((SCENES / "train").glob("*/*.jpg"))])
ratios = sizes[:, 0] / sizes[:, 1]
print(f"{len(sizes)} photographs, {len({tuple(size) for size in sizes})} different sizes: "
      f"width {sizes[:, 0].min()} to {sizes[:, 0].max()}, height {sizes[:, 1].min()} to {sizes[:, 1].max()}, "
      f"width / height {ratios.min():.2f} to {ratios.max():.2f}")

fig, (ax_sizes, ax_ratios) = plt.subplots(1, 2, figsize=(11, 4))
ax_sizes.scatter(sizes[:, 0], sizes[:, 1], s=8, alpha=0.4)
ax_sizes.scatter([SIDE], [SIDE], marker="*", s=150, color="tab:red", label=f"what the model takes: {SIDE} x {SIDE}")
ax_sizes.set_xlabel("width (pixels)")
ax_sizes.set_ylabel("height (pixels)")
ax_sizes.set_title("size of each training photograph")
ax_sizes.legend(loc="lower right")
ax_ratios.hist(ratios, bins=30)
ax_ratios.set_xlabel("width / height")
ax_ratios.set_title("shape: below 1 is tall, above 1 is wide")
for ax in (ax_sizes, ax_ratios):
    ax.grid(alpha=0.3)
plt.show()
""")

md("d3-04-modes-intro", """
A model cannot take them as they are. A batch is one tensor, so all its images must share a height
and a width, and `Flatten` followed by `Dense` fixes the number of values the model takes. So every
photograph is brought to one size. `image_dataset_from_directory` offers three ways, all through
`image_size=(height, width)`:

| option | what happens to a photograph of another shape | cost |
|---|---|---|
| default | resized to `image_size`, whatever its shape | shapes are stretched or squeezed |
| `crop_to_aspect_ratio=True` | the largest centred window with the target's shape is cut out, then resized | the edges of the photo are lost |
| `pad_to_aspect_ratio=True` | resized to fit inside, then black bars fill the rest | some pixels carry nothing |

The widest and the tallest validation photographs, read each way (`file_paths` lists the files in
the order the dataset gives them):
""")

code("d3-04-modes", """
resize_options = {"default: stretched": {}, "crop_to_aspect_ratio": {"crop_to_aspect_ratio": True},
                  "pad_to_aspect_ratio": {"pad_to_aspect_ratio": True}}
val_paths = val_images.file_paths
val_ratios = np.array([width / height for width, height in (image_size(path) for path in val_paths)])
picks = [int(val_ratios.argmax()), int(val_ratios.argmin())]  # the widest and the tallest photograph

fig, axes = plt.subplots(2, 4, figsize=(12, 6.2))
for row, index in enumerate(picks):
    with Image.open(val_paths[index]) as picture:
        axes[row, 0].imshow(picture)
        axes[row, 0].set_title(f"file: {picture.width} x {picture.height}", fontsize=9)
for column, (name, option) in enumerate(resize_options.items(), start=1):
    read = keras.utils.image_dataset_from_directory(SCENES / "validation", image_size=(SIDE, SIDE), batch_size=None,
                                                    shuffle=False, verbose=False, **option)
    for row, index in enumerate(picks):
        image, _ = next(iter(read.skip(index)))
        axes[row, column].imshow(image.numpy().astype("uint8"))
        axes[row, column].set_title(f"{name}: {SIDE} x {SIDE}", fontsize=9)
for ax in axes.flat:
    ax.axis("off")
plt.show()
""")

md("d3-04-which-intro", """
Which is best depends on the photos: cropping is risky when the object may sit near an edge, as it
can here; stretching distorts shapes; padding wastes pixels. Whichever you choose, prepare photos the
same way for training and for predicting. `scenes_model` was trained on stretched photos; here it is
on the validation photos read each way:
""")

code("d3-04-which", """
for name, option in resize_options.items():
    read = keras.utils.image_dataset_from_directory(SCENES / "validation", image_size=(SIDE, SIDE), batch_size=64,
                                                    shuffle=False, verbose=False, **option)
    _, accuracy = scenes_model.evaluate(read, verbose=0)
    print(f"validation photos read with {name:22s} accuracy {accuracy:.3f}")
""")

md("d3-04-which-read", """
Cropping cost a couple of points here: for a few photos, part of the symbol fell outside the crop.
Padding happened to do about as well as stretching, whose distortion is mild for shapes between 0.75
and 1.33. With other photos (long panoramas, objects always in the centre) the order can change:
measure it on your own data.
""")

md("d3-04-any-size-intro", """
**A model that takes any size.** `keras.Input(shape=(None, None, 3))` leaves height and width open,
and a `Resizing` layer (which takes the same `crop_to_aspect_ratio` and `pad_to_aspect_ratio`
options) brings whatever comes in to 64x64. Put the trained `scenes_model` behind them, and the saved
model takes a photograph of any size, decoded straight from its file: `tf.io.decode_jpeg` gives the
pixels from 0 to 255, and the model's own `Rescaling` takes care of the scale. Two details: cast the
`uint8` pixels to `float32`, as `image_dataset_from_directory` does (`Resizing` keeps the type of its
input, so `uint8` pixels would be rounded to whole numbers after resizing), and predict with
`predict`, not by calling the model (the next section explains why).
""")

code("d3-04-any-size", """
any_size_model = keras.Sequential([
    keras.Input(shape=(None, None, 3)),  # any height, any width, three colour channels
    keras.layers.Resizing(SIDE, SIDE),  # stretched to 64x64, as image_dataset_from_directory did in training
    scenes_model,  # the trained network, reused as a layer
], name="scenes_any_size")
any_size_model.save("models/scenes_any_size.keras")
reloaded = keras.models.load_model("models/scenes_any_size.keras")
print("saved to models/scenes_any_size.keras; its input shape:", reloaded.input_shape)

for index in picks:
    pixels = tf.io.decode_jpeg(tf.io.read_file(val_paths[index]))  # (height, width, 3) uint8, as the file holds it
    pixels = tf.cast(pixels, tf.float32)  # still 0-255
    probabilities = reloaded.predict(pixels[tf.newaxis], verbose=0)[0]  # add the batch axis, nothing else
    guess = probabilities.argmax()
    via_dataset = scenes_model.predict(next(iter(val_images.skip(index).batch(1)))[0], verbose=0)[0]
    print(f"a photo of shape {str(tuple(pixels.shape)):15s} -> {CLASS_NAMES[guess]} {probabilities[guess]:.0%} "
          f"(true: {CLASS_NAMES[val_labels[index]]}); largest difference from the dataset pipeline's "
          f"probabilities: {np.abs(probabilities - via_dataset).max():.1e}")
""")

md("d3-04-any-size-read", """
Two photographs of different shapes, one model, no preparation. The probabilities are exactly those
the 64x64 pipeline gives (both resize with the same bilinear method), wrong answers included: the
model is right about five times in six, and the wrapper changes nothing about that. Two limits
remain. One call still takes one size: to predict on many photos of different sizes, call the model
on each, or let a pipeline resize them into batches. And resizing inside the model costs the same
as resizing in the pipeline, so it is about convenience and safety, not speed.

A network can also take any size without a `Resizing` layer: convolutions and pooling work on maps of
any size; only `Flatten` needs a fixed one. Replace `Flatten` with `GlobalAveragePooling2D`, which
averages each feature map into one number, and the rest of the model no longer cares about the size
of its input.
""")

# --------------------------------------------------------------------------------------------------
md("d3-05", """
## D3.05 Prevent overfitting with image augmentation

With 1,000 photos the CNN of D3.02 generalised fairly well. With a few hundred, a network starts to
learn each photo by heart: training accuracy races to 100 % while validation accuracy stalls. *Image
augmentation* fights it by showing the network a slightly different version of every photo at every
epoch, so that it has to learn what stays the same, the shape of the symbol. Keras does it with
preprocessing layers:

| layer | what it does to each image while training |
|---|---|
| `RandomFlip("horizontal")` | mirrors it left to right, one time in two |
| `RandomRotation(0.05)` | turns it by up to 5 % of a full turn (18 degrees) either way |
| `RandomZoom(0.1)` | zooms in or out by up to 10 % |
| `RandomTranslation(0.1, 0.1)` | shifts it by up to 10 % of its height and of its width |

Choose changes that keep the label true: a mirrored airplane is still an airplane, but a mirrored
"b" is a "d", and a 6 turned upside down is a 9. Placed inside the model, the layers are active only
while training (`fit`); `predict` and `evaluate` pass images through unchanged.
""")

code("d3-05-augment", """
def augmentation_layers():
    \"\"\"Fresh augmentation layers (each model gets its own).\"\"\"
    return [
        keras.layers.RandomFlip("horizontal"),
        keras.layers.RandomRotation(0.05),
        keras.layers.RandomZoom(0.1),
        keras.layers.RandomTranslation(0.1, 0.1),
    ]


augment = keras.Sequential(augmentation_layers(), name="augmentation")
photo_64 = next(iter(val_ds))[0][3].numpy()  # one validation photo, (64, 64, 3), pixels 0-255
keras.utils.set_random_seed(1)
fig, axes = plt.subplots(2, 6, figsize=(12, 4.6))
axes[0, 0].imshow(photo_64.astype("uint8"))
axes[0, 0].set_title("original", fontsize=9)
for k, ax in enumerate(axes.flat[1:], start=1):
    ax.imshow(np.clip(augment(photo_64, training=True).numpy(), 0, 255).astype("uint8"))
    ax.set_title(f"augmented {k}", fontsize=9)
for ax in axes.flat:
    ax.axis("off")
plt.show()
print("outside training, the layers change nothing:", bool(np.allclose(augment(photo_64, training=False), photo_64)))
""")

md("d3-05-few-intro", """
Eleven different training examples from one photo. Two side effects are visible. Where a turn or a
shift uncovers pixels, the layers fill them by reflecting the image (`fill_mode="reflect"`, the
default), which can mirror a piece of the symbol at the border; `fill_mode="nearest"` or
`"constant"` avoid that. And each layer resamples the image on its own, so three resamplings in a
row soften a small image a little.

Now the experiment: keep only 300 training photos,
about 60 per class, and train the same network twice for 40 epochs, once plain and once with the
augmentation layers in front. Both leave out `Dropout` (`dropout=0.0`), so augmentation is the only
difference. Batches of 16 give each epoch a few more steps. Both are measured on the same 250
validation photos as before.
""")

code("d3-05-data", """
few_images = train_images.take(300).cache()  # the first 300 of the shuffled training photos, kept fixed
few_ds = few_images.shuffle(300, seed=42).batch(16).prefetch(AUTOTUNE)
few_labels = np.array([int(label) for _, label in few_images])
print("300 training photos per class:", dict(zip(CLASS_NAMES, np.bincount(few_labels).tolist())))
""")

code("d3-05-fit", """
few_histories, few_models = {}, {}
for name, layers in [("without augmentation", []), ("with augmentation", augmentation_layers())]:
    name_on_disk = "scenes_few_augmented" if layers else "scenes_few_plain"
    model = scenes_cnn(augmentation=layers, dropout=0.0, name=name_on_disk)
    start = time.perf_counter()
    history = model.fit(few_ds, validation_data=val_ds, epochs=40, shuffle=False, verbose=0)
    seconds = time.perf_counter() - start
    _, on_training = model.evaluate(few_images.batch(64), verbose=0)  # evaluate: no augmentation
    _, on_validation = model.evaluate(val_ds, verbose=0)
    model.save(f"models/{model.name}.keras")
    tfcert.save_history(history, f"models/{model.name}.keras")
    few_histories[name] = history
    few_models[name] = model
    best_epoch = int(np.argmin(history.history["val_loss"])) + 1
    print(f"{name:21s} {seconds:3.0f} s | accuracy on its 300 photos {on_training:.3f}, on validation "
          f"{on_validation:.3f}, gap {on_training - on_validation:.2f} | lowest validation loss: epoch {best_epoch}")
""", train=True)

code("d3-05-plot", """
fig, axes = plt.subplots(2, 2, figsize=(11, 6.4), sharey="row")
for column, (name, history) in enumerate(few_histories.items()):
    epochs = range(1, len(history.history["loss"]) + 1)
    for row, metric in enumerate(["loss", "accuracy"]):
        ax = axes[row, column]
        ax.plot(epochs, history.history[metric], "-", label=f"training {metric}")
        ax.plot(epochs, history.history[f"val_{metric}"], "--", label=f"validation {metric}")
        ax.set_title(f"{name}: {metric}")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    axes[1, column].set_xlabel("epoch")
fig.suptitle("The same CNN on 300 photographs")
fig.tight_layout()
plt.show()
""")

md("d3-05-read", """
Without augmentation the network knows its 300 photos perfectly within about 15 epochs, and from
then on there is nothing left to learn from them: the validation loss bottoms out within the first
ten epochs and then climbs steadily (the network grows ever more sure of its wrong answers), while
the validation accuracy stays flat, far below the training curve. With augmentation the training
accuracy climbs slowly, since every epoch brings photos it has never seen in exactly that form. The
gap between the curves is roughly halved, the validation loss no longer runs away (it is noisy from
epoch to epoch, but its lowest point comes near the end instead of near the start), and the
validation accuracy ends a few points above the plain model's, still rising. The price is time:
every epoch does more work, and the network needs more epochs to get as far. Combine augmentation
with `Dropout` (D3.02's model) and `EarlyStopping` (D2.16) when it counts.

**Calling a model that augments.** `fit` switches the augmentation on, `predict` and `evaluate`
switch it off. Calling the model directly, `model(x)`, does neither: in the installed Keras, the
`Random*` layers (and `Resizing`) default to `training=True` when called, so a plain call augments
the images, and can even switch on the `Dropout` of a model nested after them. Pass
`training=False`, or use `predict`:
""")

code("d3-05-call", """
augmented_model = few_models["with augmentation"]
photos = next(iter(val_ds))[0][:8]
first, second = augmented_model(photos).numpy(), augmented_model(photos).numpy()
print("model(x) twice gives the same probabilities:              ", np.allclose(first, second))
print("model(x, training=False) twice gives the same probabilities:",
      np.allclose(augmented_model(photos, training=False), augmented_model(photos, training=False)))
print("model(x, training=False) and predict agree:               ",
      np.allclose(augmented_model(photos, training=False), augmented_model.predict(photos, verbose=0), atol=1e-6))
""")

md("d3-05-where", """
**Where to augment.** Inside the model, as here, the augmentation is saved with it and switched off
automatically when predicting, and it runs on the GPU when there is one. In a `tf.data` pipeline it
runs on the CPU while the model trains on the previous batch, and the saved model stays free of it:

```python
augmented_ds = train_ds.map(lambda x, y: (augment(x, training=True), y), num_parallel_calls=AUTOTUNE)
```
""")

# --------------------------------------------------------------------------------------------------
md("d3-06", """
## D3.06 ImageDataGenerator and its Keras 3 replacements

Many tutorials, books and exam preparation courses were written for Keras 2, which read image folders
and augmented them with `ImageDataGenerator`. You will meet it, so it pays to read it fluently. It is
still in TensorFlow 2.21, as a legacy copy under `tf.keras`, and no longer part of Keras 3 itself:
""")

code("d3-06-where", """
ImageDataGenerator = tf.keras.preprocessing.image.ImageDataGenerator
print("tf.keras.preprocessing.image.ImageDataGenerator lives in", ImageDataGenerator.__module__)
print("its docstring starts:", repr(ImageDataGenerator.__doc__.strip().splitlines()[0]))
print("keras.preprocessing.image has it too:", hasattr(keras.preprocessing.image, "ImageDataGenerator"))
""")

md("d3-06-flow-intro", """
The module name says *legacy*, and its docstring is the single word "DEPRECATED.", but it prints no
warning when you use it. The Keras 2 recipe: one generator that rescales and augments for training,
one that only rescales for validation (validation photos are never augmented), and
`flow_from_directory` on each folder. `target_size` plays the part of `image_size`, `class_mode`
that of `label_mode` (D3.07).
""")

code("d3-06-flow", """
train_generator = ImageDataGenerator(
    rescale=1 / 255,  # multiplies every pixel: 0-255 -> 0-1
    rotation_range=18,  # degrees
    width_shift_range=0.1, height_shift_range=0.1,  # fractions of the width and height
    zoom_range=0.1,
    horizontal_flip=True,
    fill_mode="nearest")  # how to fill the pixels that a turn or a shift uncovers
val_generator = ImageDataGenerator(rescale=1 / 255)

train_flow = train_generator.flow_from_directory(
    SCENES / "train", target_size=(SIDE, SIDE), batch_size=32, class_mode="sparse", seed=42)
val_flow = val_generator.flow_from_directory(
    SCENES / "validation", target_size=(SIDE, SIDE), batch_size=64, class_mode="sparse", shuffle=False)

images, labels = train_flow[0]  # the first batch
print("class_indices:", train_flow.class_indices)
print(f"a batch: {type(images).__name__} {images.shape} {images.dtype}, pixels {images.min():.2f} to "
      f"{images.max():.2f} | labels {labels.dtype}: {labels[:8]}")
print(f"{len(train_flow)} batches per epoch, {train_flow.samples} images")
""")

md("d3-06-twice-intro", """
Batches of NumPy arrays, pixels already divided by 255 because of `rescale`, labels as `float32`.
That is the trap when the two worlds meet: `scenes_model` divides by 255 itself, in its `Rescaling`
layer. Given these batches it divides a second time and sees an almost black image, without any
error. Measured on the validation photos:
""")

code("d3-06-twice", """
_, from_dataset = scenes_model.evaluate(val_ds, verbose=0)
_, scaled_twice = scenes_model.evaluate(val_flow, verbose=0)  # rescale=1/255, then Rescaling(1/255) again
plain_flow = ImageDataGenerator().flow_from_directory(  # no rescale: pixels stay 0-255
    SCENES / "validation", target_size=(SIDE, SIDE), batch_size=64, class_mode="sparse", shuffle=False)
_, scaled_once = scenes_model.evaluate(plain_flow, verbose=0)
print(f"scenes_model on image_dataset_from_directory:             {from_dataset:.3f}")
print(f"on flow_from_directory with rescale=1/255 (scaled twice): {scaled_twice:.3f}")
print(f"on flow_from_directory without rescale (scaled once):     {scaled_once:.3f}")
""")

md("d3-06-twice-read", """
Scaled twice, the model is no better than a guess. Without `rescale` the generator gives what the
model was trained on, and the accuracy comes back, within a point or two: `flow_from_directory`
resizes with `interpolation="nearest"` by default where `image_dataset_from_directory` uses
`"bilinear"`, so a few pixels differ. Scale exactly once, in one place, and prefer the model.

`fit` still takes a generator's output directly. A copy of the CNN (it divides by 255 itself, so the
generator must not) trained for a few epochs on augmented batches from `flow_from_directory`:
""")

code("d3-06-fit", """
legacy_generator = ImageDataGenerator(rotation_range=18, width_shift_range=0.1, height_shift_range=0.1,
                                      zoom_range=0.1, horizontal_flip=True, fill_mode="nearest")  # no rescale
legacy_flow = legacy_generator.flow_from_directory(
    SCENES / "train", target_size=(SIDE, SIDE), batch_size=32, class_mode="sparse", seed=42)
legacy_model = scenes_cnn(name="scenes_legacy")
start = time.perf_counter()
legacy_history = legacy_model.fit(legacy_flow, validation_data=plain_flow, epochs=5, verbose=2)
legacy_seconds = time.perf_counter() - start
legacy_model.save("models/scenes_legacy.keras")
tfcert.save_history(legacy_history, "models/scenes_legacy.keras")
print(f"{legacy_seconds / len(legacy_history.history['loss']):.1f} s per epoch with ImageDataGenerator, "
      f"against {cnn_seconds / len(scenes_history.history['loss']):.1f} s per epoch for D3.02's cached dataset")
""", train=True)

md("d3-06-fit-read", """
It trains, but each epoch takes longer than in D3.02: between one and a half and three times as long
in the runs made for this lesson (timings on a shared laptop vary). The generator opens, decodes,
resizes and transforms every photo again at every epoch, one at a time in Python and NumPy, while
the `tf.data` pipeline of D3.02 decoded the photos once, cached them, and prepared the next batch
while the model was busy. Part of the difference is the augmentation itself, which D3.02 did not do;
the augmentation layers of D3.05 cost time too, but they work on whole batches inside TensorFlow and
never read the files again. Five epochs are too few for this network to learn much; the point here
is only that the old and the new API feed the same `fit`.

**From the old arguments to the new layers.** What each `ImageDataGenerator` argument becomes in
Keras 3:

| `ImageDataGenerator(...)` | Keras 3 | note |
|---|---|---|
| `rescale=1/255` | `keras.layers.Rescaling(1/255)` | in the model |
| `rotation_range=18` (degrees) | `RandomRotation(18 / 360)` | a fraction of a full turn: 0.05 |
| `width_shift_range=0.1` | `RandomTranslation(height_factor=0, width_factor=0.1)` | |
| `height_shift_range=0.1` | `RandomTranslation(height_factor=0.1, width_factor=0)` | both at once: `RandomTranslation(0.1, 0.1)` |
| `zoom_range=0.1` | `RandomZoom(0.1)` | |
| `shear_range=...` (degrees) | `RandomShear(x_factor=..., y_factor=...)` | factors are fractions of the image, not angles |
| `horizontal_flip=True` | `RandomFlip("horizontal")` | |
| `vertical_flip=True` | `RandomFlip("vertical")` | both: `RandomFlip()`, the default mode |
| `brightness_range=(0.8, 1.2)` | `RandomBrightness(0.2)` | close, not equal: multiplies vs adds; expects pixels 0-255 unless given `value_range` |
| `fill_mode="nearest"` (the default) | `fill_mode="nearest"` on each layer | the layers default to `"reflect"` |
| `featurewise_center`, `featurewise_std_normalization` | `keras.layers.Normalization()` with `adapt` | |
| `validation_split=0.2` with `subset=` | `image_dataset_from_directory(validation_split=0.2, subset="training", seed=...)` | the same seed for both subsets |
| `.flow_from_directory(dir, target_size=, class_mode=, classes=)` | `keras.utils.image_dataset_from_directory(dir, image_size=, label_mode=, class_names=)` | `keep_aspect_ratio=True` becomes `crop_to_aspect_ratio=True` |

The generator's augmentation next to the equivalent layers, on the same photo (`random_transform`
applies a generator's random changes to one image, without `rescale`). The generator combines all
its changes into one transformation and resamples once, so its images stay sharper than after three
layers in a row:
""")

code("d3-06-compare", """
layers_like_the_generator = keras.Sequential([
    keras.layers.RandomRotation(18 / 360, fill_mode="nearest"),
    keras.layers.RandomTranslation(0.1, 0.1, fill_mode="nearest"),
    keras.layers.RandomZoom(0.1, fill_mode="nearest"),
    keras.layers.RandomFlip("horizontal"),
])
keras.utils.set_random_seed(3)
fig, axes = plt.subplots(2, 6, figsize=(12, 4.6))
for k in range(6):
    axes[0, k].imshow(np.clip(legacy_generator.random_transform(photo_64), 0, 255).astype("uint8"))
    axes[1, k].imshow(np.clip(layers_like_the_generator(photo_64, training=True).numpy(), 0, 255).astype("uint8"))
axes[0, 0].set_title("ImageDataGenerator.random_transform", fontsize=9, loc="left")
axes[1, 0].set_title("Keras 3 Random* layers", fontsize=9, loc="left")
for ax in axes.flat:
    ax.axis("off")
plt.show()
""")

# --------------------------------------------------------------------------------------------------
md("d3-07", """
## D3.07 How folder names become labels

Neither API reads labels from a file: the label of a photo is the name of the folder it sits in.
Both follow the same rules:

1. Each subfolder of the folder you name is one class. Files lying directly in that folder belong to
   no class and are skipped.
2. The classes are numbered 0, 1, 2, ... in the order of Python's `sorted()` on the folder names.

`sorted()` compares strings character by character by their code: digits come before capital letters,
capital letters before small ones. So `"10"` comes before `"9"` (because `"1"` comes before `"9"`),
and `"Zebra"` before `"ant"`. A small folder tree shows it, with a stray file in its root:
""")

code("d3-07-tree", """
tiny = Path(tempfile.mkdtemp(prefix="label_order_"))
colours = {"9": "red", "10": "green", "Zebra": "blue", "ant": "orange"}
for name, colour in colours.items():
    (tiny / name).mkdir()
    for k in range(2):
        Image.new("RGB", (40 + 10 * k, 30), colour).save(tiny / name / f"{name}_{k}.jpg")
Image.new("RGB", (30, 30), "black").save(tiny / "stray.jpg")  # in the root: belongs to no class

print("files:", sorted(str(path.relative_to(tiny)) for path in tiny.rglob("*.jpg")))
print("Python's sorted():", sorted(colours))
""")

code("d3-07-both", """
tiny_flow = ImageDataGenerator().flow_from_directory(tiny, target_size=(8, 8), class_mode="sparse", shuffle=False)
tiny_ds = keras.utils.image_dataset_from_directory(tiny, image_size=(8, 8), shuffle=False)
print("flow_from_directory:          class_indices =", tiny_flow.class_indices)  # a dict: name -> number
print("image_dataset_from_directory: class_names   =", tiny_ds.class_names)  # a list: number -> name
print("labels of the files, in order:", tiny_flow.classes.tolist(), "and",
      np.concatenate([y.numpy() for _, y in tiny_ds]).tolist())
""")

md("d3-07-both-read", """
Eight photos in four classes: the stray file was skipped by both. Both number the classes
`10, 9, Zebra, ant`, whatever a person would call the natural order. The two describe the same
numbering from opposite sides: `class_indices` maps a name to its number, `class_names[number]`
gives the name. Turning a prediction into a name is `class_names[prediction.argmax()]`, or with the
generator, the inverted dict: `{number: name for name, number in flow.class_indices.items()}`.

When you need another order, because a test set or a grader numbers the classes differently, say so
explicitly (or name the folders so that they sort right, `09` and `10`):
""")

code("d3-07-explicit", """
wanted = ["9", "10", "Zebra", "ant"]
ordered_flow = ImageDataGenerator().flow_from_directory(tiny, target_size=(8, 8), classes=wanted, shuffle=False)
ordered_ds = keras.utils.image_dataset_from_directory(tiny, image_size=(8, 8), class_names=wanted, verbose=False)
print("classes=wanted:     class_indices =", ordered_flow.class_indices)
print("class_names=wanted: class_names   =", ordered_ds.class_names)
""")

md("d3-07-package-intro", """
**The same data, two numberings.** The course package's arrays (`datasets.load`) number the `scenes`
classes in the order their data card lists them; the folders number them alphabetically. A model
trained on one and checked with the labels of the other is wrong for three classes out of five, and
says nothing. `scenes_model` was trained on the folders:
""")

code("d3-07-package", """
package_order = list(datasets.DATASETS["scenes"].classes)
print("datasets.load numbers the classes:", package_order)
print("the folders number them:          ", CLASS_NAMES)
x_arrays, y_arrays = datasets.load("scenes", split="validation", as_numpy=True)  # 150x150, pixels in [0, 1]
x_arrays = tf.image.resize(x_arrays * 255.0, (SIDE, SIDE))  # the size and scale scenes_model takes
_, with_package_numbers = scenes_model.evaluate(x_arrays, y_arrays, verbose=0)
to_folder_number = np.array([CLASS_NAMES.index(name) for name in package_order])  # translate through the names
_, translated = scenes_model.evaluate(x_arrays, to_folder_number[y_arrays], verbose=0)
print(f"scenes_model on the arrays with the package's numbers: {with_package_numbers:.3f}, "
      f"translated to the folder numbers: {translated:.3f}")
""")

md("d3-07-modes-intro", """
**The form of the labels.** Each API offers the same three forms of label under different names, and
different defaults:

| labels | `image_dataset_from_directory(label_mode=...)` | `flow_from_directory(class_mode=...)` | output layer | loss |
|---|---|---|---|---|
| class numbers | `"int"` (the default): `int32`, shape `(batch,)` | `"sparse"`: `float32`, `(batch,)` | `Dense(N, "softmax")` | `sparse_categorical_crossentropy` |
| one-hot rows | `"categorical"`: `float32`, `(batch, N)` | `"categorical"` (the default) | `Dense(N, "softmax")` | `categorical_crossentropy` |
| 0 or 1 | `"binary"`: `float32`, `(batch, 1)` | `"binary"`: `float32`, `(batch,)` | `Dense(1, "sigmoid")` | `binary_crossentropy` |
| none (images only) | `None` | `None` (or `"input"`: the image is its own label) | | |

Note the defaults: old code that relied on `flow_from_directory`'s default had one-hot labels and
`categorical_crossentropy`; the same code moved to `image_dataset_from_directory` gets class numbers.
One batch of six labels in each form, from the `scenes_binary` folders:
""")

code("d3-07-modes", """
SCENES_BINARY = datasets.to_image_folders("scenes_binary")
print("image_dataset_from_directory:")
for mode in ("int", "binary", "categorical"):
    read = keras.utils.image_dataset_from_directory(SCENES_BINARY / "train", image_size=(SIDE, SIDE), batch_size=6,
                                                    label_mode=mode, seed=2, verbose=False)
    _, y = next(iter(read))
    print(f"  label_mode={mode!r:14s} {y.dtype.name:8s} {str(tuple(y.shape)):7s} {y.numpy().astype(int).tolist()}")
print("flow_from_directory:")
for mode in ("sparse", "binary", "categorical"):
    flow = ImageDataGenerator().flow_from_directory(SCENES_BINARY / "train", target_size=(SIDE, SIDE), batch_size=6,
                                                    class_mode=mode, seed=2)
    _, y = flow[0]
    print(f"  class_mode={mode!r:14s} {str(y.dtype):8s} {str(y.shape):7s} {y.astype(int).tolist()}")
""")

md("d3-07-binary-intro", """
`"binary"` has a difference that matters. Given a folder with five classes,
`image_dataset_from_directory` refuses it; `flow_from_directory` accepts it and hands out labels from
0 to 4 under the name "binary":
""")

code("d3-07-binary", """
try:
    keras.utils.image_dataset_from_directory(SCENES / "train", label_mode="binary", verbose=False)
except ValueError as error:
    print("image_dataset_from_directory: ValueError:", str(error).splitlines()[0])
five_as_binary = ImageDataGenerator().flow_from_directory(SCENES / "train", class_mode="binary")
print("flow_from_directory(class_mode='binary') labels:", np.unique(five_as_binary.classes))
""")

md("d3-07-pairs-intro", """
**When the labels do not fit the loss.** Each label form goes with one output layer and one loss.
Some mismatches stop `fit` at once; one trains quietly to nonsense. The function below reads the
folders with a given `label_mode`, builds `scenes_cnn` with the given output layer and loss, trains
for four epochs and reports what happened. It also counts the right answers by hand from the
predictions (`argmax`, or above 0.5 for a single sigmoid unit), to check the `accuracy` Keras
reports, whose definition Keras picks to suit the loss.
""")

code("d3-07-pairs", """
def bold_free(error):
    \"\"\"The first line of an error message, without the bold markers Keras puts around key words.\"\"\"
    return str(error).replace("\\x1b[1m", "").replace("\\x1b[0m", "").splitlines()[0]


def try_pairing(folder, label_mode, units, activation, loss, epochs=4):
    \"\"\"Train a CNN briefly with this label form, output layer and loss; say what happened.\"\"\"
    read = dict(image_size=(SIDE, SIDE), label_mode=label_mode, verbose=False)
    train = keras.utils.image_dataset_from_directory(folder / "train", seed=42, **read).cache()
    val = keras.utils.image_dataset_from_directory(folder / "validation", shuffle=False, **read).cache()
    model = scenes_cnn(num_classes=units, activation=activation, loss=loss, name="pairing")
    try:
        history = model.fit(train, validation_data=val, epochs=epochs, shuffle=False, verbose=0)
    except ValueError as error:
        return f"ValueError: {bold_free(error)}"
    truth = np.concatenate([y.numpy() for _, y in val])
    truth = truth.argmax(axis=1) if label_mode == "categorical" else truth.ravel()
    outputs = model.predict(val, verbose=0)
    guesses = (outputs[:, 0] > 0.5).astype(int) if units == 1 else outputs.argmax(axis=1)
    losses, reported = history.history["loss"], history.history["val_accuracy"][-1]
    return (f"trains: loss {losses[0]:.3g} -> {losses[-1]:.3g}, outputs {outputs.min():.2f} to {outputs.max():.2f}, "
            f"accuracy by hand {np.mean(guesses == truth):.3f} (Keras reports {reported:.3f})")


pairings = [
    ("scenes", "int", 5, "softmax", "sparse_categorical_crossentropy"),
    ("scenes", "categorical", 5, "softmax", "categorical_crossentropy"),
    ("scenes", "categorical", 5, "softmax", "sparse_categorical_crossentropy"),
    ("scenes_binary", "binary", 1, "sigmoid", "binary_crossentropy"),
    ("scenes_binary", "binary", 2, "softmax", "binary_crossentropy"),
    ("scenes_binary", "binary", 2, "softmax", "sparse_categorical_crossentropy"),
    ("scenes", "int", 1, "sigmoid", "binary_crossentropy"),
]
folders = {"scenes": SCENES, "scenes_binary": SCENES_BINARY}
for name, label_mode, units, activation, loss in pairings:
    print(f"{name}, label_mode={label_mode!r}, Dense({units}, {activation!r}), {loss}:")
    print("   ", try_pairing(folders[name], label_mode, units, activation, loss))
""", train=True)

md("d3-07-pairs-read", """
Line by line:

- **Class numbers with `sparse_categorical_crossentropy`, one-hot rows with
  `categorical_crossentropy`**: the two right pairs for five classes. They train alike; four epochs
  are only a start.
- **One-hot rows with `sparse_categorical_crossentropy`**: an error at the first step. The sparse loss
  wants one number per photo and got five. Read the shapes in the message: `target.shape=(None, 5)`.
- **Two classes, one sigmoid unit, `binary_crossentropy`**: the right pair for two classes.
- **Two softmax units with the `"binary"` labels and `binary_crossentropy`**: an error, one label
  against two outputs.
- **Two softmax units with `sparse_categorical_crossentropy`**: works. The 0.0 and 1.0 of
  `"binary"` are read as class numbers 0 and 1; this is the multi-class recipe used for two classes.
- **Five classes with one sigmoid unit and `binary_crossentropy`**: no error, and the worst outcome.
  A sigmoid outputs a number between 0 and 1, and the binary crossentropy of a label such as 3 is not
  a distance any more: it keeps falling as the output approaches 1, without limit. The loss goes
  negative and runs away, every output becomes 1.0, and the accuracy is the share of class 1
  (anchor) among the validation photos: 46 of 250 (the count printed in D3.03), 0.184. Keras 3
  stops the other mismatches because the shapes cannot be lined up; here the labels, `(batch,)`,
  line up with the output, `(batch, 1)`, so nothing stops it. The same happens with `flow_from_directory(...,
  class_mode="binary")` on five folders, which delivers these labels without complaint. Note that the
  accuracy Keras reports agrees with the hand count, here as in every line: a plausible-looking metric
  says nothing about whether the labels are read the right way.

A loss that goes negative, an accuracy stuck at the share of one class: both mean the labels and the
loss disagree. Check `len(class_names)` against the number of output units, and the label form
against the loss, before training for long.
""")

# --------------------------------------------------------------------------------------------------
md("summary", """
## Summary

- **D3.01** A convolution slides a small filter over the image and writes one number per position: a
  feature map that is bright where the image looks like the filter. `Conv2D(filters, kernel_size,
  activation="relu", padding=...)` learns its filters; its kernel is `(k, k, channels in, filters)`,
  `k * k * channels * filters + filters` parameters whatever the image size. `MaxPooling2D()` keeps
  the largest of each 2x2 square: height and width halved, channels unchanged, no weights. A CNN
  stacks Conv2D/MaxPooling2D blocks, then `Flatten` and `Dense`.
- **D3.02** Photos in class folders: `image_dataset_from_directory(folder, image_size=..., batch_size=None,
  seed=...)`, then `cache`, `shuffle`, `batch`, `prefetch`; `Rescaling(1/255)` inside the model; a
  small CNN reached about 80 to 85 % on five classes in 20 epochs; read the confusion matrix, save
  to `.keras`.
- **D3.03** With the same number of parameters, a dense network stayed at chance on these photos and
  one with 18 times more memorised its training set and stayed below 30 %; the CNN reached 80 % or
  more. Shared, local filters suit images: a pattern is found wherever it is.
- **D3.04** Photos come in many sizes; a batch and a `Flatten` need one. `image_size` stretches by
  default; `crop_to_aspect_ratio=True` crops, `pad_to_aspect_ratio=True` pads; predict on what you
  trained on. `keras.Input(shape=(None, None, 3))` with `Resizing` inside gives a saved model that
  takes any size; `GlobalAveragePooling2D` instead of `Flatten` is the other way.
- **D3.05** `RandomFlip`, `RandomRotation`, `RandomZoom`, `RandomTranslation` inside the model change
  every photo at every epoch and nothing in `predict` and `evaluate`; a direct call `model(x)` needs
  `training=False`. On 300 photos they cut the gap between training and validation accuracy about in
  half and stopped the validation loss from running away, at the cost of slower, longer training.
- **D3.06** `tf.keras.preprocessing.image.ImageDataGenerator(rescale=1/255, ...).flow_from_directory(dir,
  target_size=..., class_mode=...)` is the legacy path: deprecated, absent from Keras 3's own namespace,
  slower, but `fit` takes it. Its arguments map to `Rescaling` and the `Random*` layers. Scale pixels
  exactly once: `rescale=1/255` feeding a model with a `Rescaling` layer ruins it silently.
- **D3.07** Subfolder names are the classes, numbered in `sorted()` order (`10` before `9`, `Zebra`
  before `ant`), stray files skipped; `class_indices` (name -> number) and `class_names` (number ->
  name); `classes=` / `class_names=` fix another order. Label forms: `"int"`/`"sparse"` with
  `sparse_categorical_crossentropy`, `"categorical"` with `categorical_crossentropy`, `"binary"` with
  one sigmoid unit and `binary_crossentropy`. Mismatched shapes raise an error; five classes fed to a
  binary setup train silently to nonsense (a negative loss).
""")

md("next-steps", """
## Next steps

- Do the graded assignment for this domain: `release/d3_image_classification/d3_image_classification.ipynb`.
  It asks for convolutional networks trained from image folders, saved as `.keras` files; the
  grader loads them in a clean process and checks them on photographs you have not seen.
- Train `scenes_cnn` with the augmentation layers and its dropout on all 1,000 photos, for 30 to 40
  epochs with `EarlyStopping`, and see how far the validation accuracy goes.
- Rebuild the network with `GlobalAveragePooling2D` in place of `Flatten` and compare its parameter
  count and its accuracy.
- With a network, the canonical sets are one call away: `tfds.load("rock_paper_scissors")` and
  `tfds.load("horses_or_humans")` (D2.19), or the same photos as folders; the code of this notebook
  applies unchanged.
- Domain 4 turns to text, where the same ideas (layers that read neighbours, shared weights) return
  as embeddings and sequence models.
""")


if __name__ == "__main__":
    CELLS.write(OUT)
