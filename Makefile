# mmcnn: `make demo` (the main job) and `make test` (the test suite) do all set-up.
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.mmcnn-env
EXT_STAMP := $(VENV)/.mmcnn-cpu-ext
# Idle OpenMP threads sleep instead of spinning: on a busy 2-core machine
# spinning slows torch 5-20x; results are unchanged.
export OMP_WAIT_POLICY ?= PASSIVE
DEMO_CFG := configs/det/moganet/retinanet_moganet-xt_fpn_20e_demo.py
DEMO_DIR := work_dirs/demo_retinanet_moganet-xt

.PHONY: env test demo clean-demo

env: $(STAMP) $(EXT_STAMP)

$(STAMP): requirements/stack.txt requirements/constraints.txt setup.cfg pyproject.toml tools/misc/setup_env.sh
	bash tools/misc/setup_env.sh
	touch $@

# mmcnn's compiled CPU kernels (mmcnn/ops/csrc), for this machine; a failed
# build is reported and leaves the PyTorch paths in use.
$(EXT_STAMP): $(STAMP) $(wildcard mmcnn/ops/csrc/*) mmcnn/ops/__init__.py mmcnn/ops/build.py
	$(PY) -m mmcnn.ops.build
	touch $@

test: env
	$(PY) -m pytest tests projects

demo: env
	$(PY) tools/misc/make_demo_data.py --out data/demo --tasks det
	$(PY) tools/train.py $(DEMO_CFG) --work-dir $(DEMO_DIR)
	$(PY) tools/test.py $(DEMO_CFG) $(DEMO_DIR)/epoch_$$($(PY) -c "from mmengine import Config; print(Config.fromfile('$(DEMO_CFG)').train_cfg.max_epochs)").pth --work-dir $(DEMO_DIR) --show-dir vis

clean-demo:
	rm -rf data/demo work_dirs/demo_*
