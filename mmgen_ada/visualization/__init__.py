# Copyright (c) mmgen-ada contributors. All rights reserved.
