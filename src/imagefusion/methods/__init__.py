"""Fusion methods. Importing this package registers every method (see :mod:`imagefusion.registry`).

========================  ==========================================  =========================
name                      function                                    module
========================  ==========================================  =========================
``average``               :func:`~.pixel.average`                     :mod:`.pixel`
``max-abs``               :func:`~.pixel.max_abs`                     :mod:`.pixel`
``lp``                    :func:`~.pyramid.lp`                        :mod:`.pyramid`
``lp-similarity``         :func:`~.pyramid.lp_similarity`             :mod:`.pyramid`
``ratio``                 :func:`~.pyramid.ratio`                     :mod:`.pyramid`
``contrast``              :func:`~.pyramid.contrast`                  :mod:`.pyramid`
``dwt``                   :func:`~.wavelet.dwt`                       :mod:`.wavelet`
``dtcwt``                 :func:`~.wavelet.dtcwt`                    :mod:`.wavelet`
``gff``                   :func:`~.filtering.gff`                     :mod:`.filtering`
``mertens``               :func:`~.exposure.mertens`                  :mod:`.exposure`
``siamese-cnn``           :func:`~.siamese.siamese_cnn`               :mod:`.siamese`
``cnn-liu2017``           :func:`~.siamese.cnn_liu2017`               :mod:`.siamese`
``densefuse``             :func:`~.autoencoder.densefuse`             :mod:`.autoencoder`
``cam-fusion``            :func:`~.autoencoder.cam_fusion`            :mod:`.autoencoder`
``mfenet``                :func:`~.mfenet.mfenet`                    :mod:`.mfenet`
``semantic-opt``          :func:`~.semantic.semantic_opt`             :mod:`.semantic`
``semantic-cam``          :func:`~.semantic.semantic_cam`             :mod:`.semantic`
``dlf``                   :func:`~.dlf.dlf`                           :mod:`.dlf`
``pmgi``                  :func:`~.pmgi.pmgi`                         :mod:`.pmgi`
``mff-gan``               :func:`~.mff_gan.mff_gan`                   :mod:`.mff_gan`
``fusiongan``             :func:`~.fusiongan.fusiongan`               :mod:`.fusiongan`
``unet-gan``              :func:`~.unet_gan.unet_gan`                 :mod:`.unet_gan`
========================  ==========================================  =========================

Each function is named after its method; ``mfenet`` is not re-exported here, where it would hide the
module :mod:`.mfenet` of the same name (use ``imagefusion.methods.mfenet.mfenet``).
"""

from . import adf, autoencoder, cbf, ddcgan, dlf, exposure, filtering, fpde, fusiongan, gfce, gtf, hmsd_gf, hybrid_msd, ifevip, latlrr, lp_sr, mfenet, mff_gan, mgff, msvd, nsct_sr, pixel, pmgi, pyramid, rp_sr, semantic, siamese, tif, unet_gan, vsmwls, wavelet  # noqa: F401
from .autoencoder import cam_fusion, densefuse
from .exposure import mertens
from .filtering import gff, guided_filter
from .pixel import average, max_abs
from .pyramid import contrast, gaussian_pyramid, laplacian_pyramid, lp, lp_similarity, ratio, reconstruct_laplacian
from .siamese import cnn_liu2017, siamese_cnn
from .wavelet import dtcwt, dwt

__all__ = [
    "average", "max_abs", "lp", "lp_similarity", "ratio", "contrast", "dwt", "dtcwt", "gff", "mertens",
    "guided_filter", "siamese_cnn", "cnn_liu2017", "densefuse", "cam_fusion", "gaussian_pyramid", "laplacian_pyramid", "reconstruct_laplacian",
]
