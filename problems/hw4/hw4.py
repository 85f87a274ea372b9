"""A two-layer network in numpy (numpy-net): starter code.

Write each function with numpy; batches are rows. Check your work with
    hwcheck grade problems/hw4/numpy_net.yaml hw4.py
"""
import numpy as np


def linear_forward(x, w, b):
    """Task C1 (1 point).

    x: an array of shape (4, 3)
    w: an array of shape (3, 5)
    b: an array of shape (5,)
    Returns x @ w + b: an array of shape (4, 5)
    Do not change the inputs in place.
    """
    raise NotImplementedError


def relu_forward(x):
    """Task C2 (1 point).

    x: an array of shape (4, 5)
    Returns relu(x): an array of shape (4, 5)
    Do not change the inputs in place.
    """
    raise NotImplementedError


def softmax(h):
    """Task C3 (1 point).

    h: an array of shape (4, 10)
    Returns softmax(h): an array of shape (4, 10)
    Do not change the inputs in place.
    """
    raise NotImplementedError


def cross_entropy(p, y):
    """Task C4 (1 point).

    p: an array of shape (4, 10)
    y: an array of shape (4, 10)
    Returns cross_entropy(p, y) / 4: a number
    Do not change the inputs in place.
    """
    raise NotImplementedError


def softmax_cross_entropy_backward(p, y):
    """Task C5 (2 points).

    p: an array of shape (4, 10)
    y: an array of shape (4, 10)
    Returns (p - y) / 4: an array of shape (4, 10)
    Do not change the inputs in place.
    """
    raise NotImplementedError


def relu_backward(dout, x):
    """Task C6 (1 point).

    dout: an array of shape (4, 5)
    x: an array of shape (4, 5)
    Returns the gradient of sum(dout * relu(x)) with respect to x: an array of shape (4, 5)
    Do not change the inputs in place.
    """
    raise NotImplementedError


def linear_backward(dout, x, w):
    """Task C7 (2 points).

    dout: an array of shape (4, 5)
    x: an array of shape (4, 3)
    w: an array of shape (3, 5)
    Returns a tuple of 3:
        the gradient of sum(dout * (x @ w + b)) with respect to x: an array of shape (4, 3)
        the gradient of sum(dout * (x @ w + b)) with respect to w: an array of shape (3, 5)
        the gradient of sum(dout * (x @ w + b)) with respect to b: an array of shape (5,)
    Do not change the inputs in place.
    """
    raise NotImplementedError


def sgd_step(param, dparam, lr):
    """Task C8 (1 point).

    param: an array of shape (3, 5) (you may change it in place)
    dparam: an array of shape (3, 5)
    lr: a number
    Returns param - lr * dparam: an array of shape (3, 5)
    """
    raise NotImplementedError


# Task C9: hwcheck trains a network with your functions, 1000 steps of
# sgd_step(param, dparam, lr) with lr = 1, on CS231n's spiral data:
#     x1 = linear_forward(x, w1, b1)
#     x2 = relu_forward(x1)
#     x3 = linear_forward(x2, w2, b2)
#     p = softmax(x3)
#     loss = cross_entropy(p, y)
#     d3 = softmax_cross_entropy_backward(p, y)
#     dx2, dw2, db2 = linear_backward(d3, x2, w2)
#     d1 = relu_backward(dx2, x1)
#     dx, dw1, db1 = linear_backward(d1, x, w1)
# and passes when it reaches accuracy 0.9.
